// The DNS port: a zone's record sets, read and replaced through its provider (RFC 2136 with TSIG,
// or Cloudflare's API). `dnsProvider` builds one from the fleet's `dns:` zone; the credential is
// looked up by name through getSecret and stays wrapped until the provider keys its HMAC or API
// client with it.
import type { DnsZone } from '../config/fleet.ts';
import { UserError } from '../diag/errors.ts';
import type { Secret } from '../util/secret.ts';
import { tsigKeyBytes } from './credential-handover.ts';
import type { DnsProvider } from './records.ts';
import { Rfc2136Provider } from './rfc2136.ts';

export type { DnsProvider, DnsRecord, RecordType } from './records.ts';

export { zoneFor } from '../config/dns-zones.ts';

async function credential(zone: DnsZone, name: string, what: string, getSecret: (name: string) => Promise<Secret | undefined>): Promise<Secret> {
  const s = await getSecret(name);
  if (!s || s.empty)
    throw new UserError(
      `dns: ${zone.zone}: the secret ${name} (${what}) is not set`,
      `set it fleet-wide: printf %s "$VALUE" | slipway secret set ${name}  (or add it to secrets/_all.age)`,
    );
  return s;
}

/** Builds the provider; the credentials come through getSecret (never logged). */
export async function dnsProvider(zone: DnsZone, getSecret: (name: string) => Promise<Secret | undefined>): Promise<DnsProvider> {
  const p = zone.provider;
  if (p.kind === 'rfc2136') {
    const secret = await credential(zone, p.secret, `TSIG key ${p.keyName}`, getSecret);
    if (!tsigKeyBytes(secret))
      throw new UserError(
        `dns: ${zone.zone}: the secret ${p.secret} is not a base64 TSIG secret`,
        `set it to the \`secret "…"\` value of key "${p.keyName}" as tsig-keygen printed it: slipway secret set ${p.secret}`,
      );
    return new Rfc2136Provider({ zone: zone.zone, host: p.host, port: p.port, key: { name: p.keyName, algorithm: p.algorithm, secret } });
  }
  const token = await credential(zone, p.token, 'Cloudflare API token', getSecret);
  // The Cloudflare client (a large package) loads only for a Cloudflare zone.
  const { CloudflareProvider } = await import('./cloudflare.ts');
  return new CloudflareProvider({ zone: zone.zone, token, ...(p.api ? { api: p.api } : {}) });
}
