// A zone at Cloudflare, through Cloudflare's official client (`cloudflare`). The zone id is found
// by name once; a replace lists the record set and sends one batch (deletes, then posts), which
// Cloudflare runs in one transaction. `api` (the fleet's `dns.<zone>.api`) overrides the base
// URL. The client's own environment credentials (CLOUDFLARE_API_KEY, …) are switched off: only
// the token named in the fleet file is used, and no error message repeats it.
import Cloudflare from 'cloudflare';
import { UserError } from '../diag/errors.ts';
import type { Secret } from '../util/secret.ts';
import { apiToken } from './credential-handover.ts';
import { type DnsProvider, type DnsRecord, normalizeName, normalizeValue, type RecordType } from './records.ts';

export interface CloudflareOptions {
  zone: string;
  token: Secret;
  api?: string;
  timeoutMs?: number;
}

interface CfRecord {
  id: string;
  name: string;
  type: string;
  ttl: number;
  content?: string;
}

/** Cloudflare stores TXT content quoted (`"v=spf1 …"`); the port carries the bare text. */
function txtFromCf(content: string): string {
  const m = /^"(.*)"$/s.exec(content);
  if (!m) return content;
  return m[1]!.replace(/" "/g, '').replace(/\\(["\\])/g, '$1');
}

export class CloudflareProvider implements DnsProvider {
  readonly zone: string;
  readonly #client: Cloudflare;
  readonly #tokenName: string;
  readonly #api: string;
  #zoneId: string | undefined;

  constructor(opts: CloudflareOptions) {
    this.zone = normalizeName(opts.zone);
    this.#tokenName = opts.token.name;
    this.#api = opts.api ?? 'https://api.cloudflare.com/client/v4';
    this.#client = new Cloudflare({
      apiToken: apiToken(opts.token),
      apiKey: null,
      apiEmail: null,
      userServiceKey: null,
      baseURL: this.#api,
      maxRetries: 2,
      timeout: opts.timeoutMs ?? 30_000,
    });
  }

  async #call<T>(what: string, f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (e) {
      throw this.#error(what, e);
    }
  }

  #error(what: string, e: unknown): Error {
    const head = `Cloudflare (${this.#api}) ${what} for zone ${this.zone}`;
    if (e instanceof Cloudflare.APIConnectionTimeoutError)
      return new UserError(`${head} timed out`, 'check the network path to the Cloudflare API, then run the command again');
    if (e instanceof Cloudflare.APIConnectionError)
      return new UserError(
        `${head}: the API is unreachable (${(e.cause as Error | undefined)?.message ?? e.message})`,
        `check \`api:\` of dns: ${this.zone} and the network`,
      );
    if (e instanceof Cloudflare.AuthenticationError)
      return new UserError(
        `${head}: the API token was refused (401)`,
        `set the secret ${this.#tokenName} to a valid Cloudflare API token (slipway secret set ${this.#tokenName})`,
      );
    if (e instanceof Cloudflare.PermissionDeniedError)
      return new UserError(
        `${head}: the API token may not do this (403)`,
        `give the token in ${this.#tokenName} the permission Zone → DNS → Edit for ${this.zone}`,
      );
    if (e instanceof Cloudflare.APIError) {
      const errors = ((e.error as { errors?: { code?: number; message?: string }[] } | undefined)?.errors ?? []).map((x) =>
        `${x.code ?? ''} ${x.message ?? ''}`.trim(),
      );
      return new UserError(
        `${head} failed (${e.status ?? 'no status'}${errors.length ? `: ${errors.join('; ')}` : ''})`,
        'see the Cloudflare dashboard for the zone',
      );
    }
    return e instanceof Error ? e : new Error(String(e));
  }

  async #zone(): Promise<string> {
    if (this.#zoneId) return this.#zoneId;
    const page = await this.#call('finding the zone', () => this.#client.zones.list({ name: this.zone }));
    const zone = page.result.find((z) => normalizeName(z.name) === this.zone);
    if (!zone)
      throw new UserError(
        `Cloudflare (${this.#api}) has no zone ${this.zone} that the token in ${this.#tokenName} can see`,
        `add the zone to the Cloudflare account, or give the token access to it (Zone → DNS → Edit)`,
      );
    this.#zoneId = zone.id;
    return zone.id;
  }

  async #records(zoneId: string, name: string, type: RecordType): Promise<CfRecord[]> {
    const out: CfRecord[] = [];
    await this.#call(`listing ${name} ${type}`, async () => {
      // Page by result_info (the client's own iteration asks for one page past the last).
      let page = await this.#client.dns.records.list({ zone_id: zoneId, name: { exact: name }, type, per_page: 100 });
      for (;;) {
        out.push(...(page.result as CfRecord[]));
        const info = page.result_info as { page?: number; total_pages?: number };
        if (!page.hasNextPage() || (info.total_pages !== undefined && (info.page ?? 1) >= info.total_pages)) break;
        page = await page.getNextPage();
      }
    });
    return out.filter((r) => normalizeName(r.name) === name && r.type === type);
  }

  async lookup(names: readonly string[], types: readonly RecordType[]): Promise<DnsRecord[]> {
    const zoneId = await this.#zone();
    const out: DnsRecord[] = [];
    for (const raw of names) {
      const name = normalizeName(raw);
      for (const type of types) {
        const rs = await this.#records(zoneId, name, type);
        if (rs.length === 0) continue;
        const values = rs.map((r) => (type === 'TXT' ? txtFromCf(r.content ?? '') : normalizeValue(type, r.content ?? '')));
        // Cloudflare's "automatic" TTL is 1.
        out.push({ name, type, ttl: rs[0]!.ttl, values: [...new Set(values)].sort() });
      }
    }
    return out;
  }

  async replace(rawName: string, type: RecordType, ttl: number, values: readonly string[]): Promise<void> {
    const name = normalizeName(rawName);
    if (name !== this.zone && !name.endsWith(`.${this.zone}`))
      throw new UserError(`${name} is not in zone ${this.zone}`, `add a zone for it to the fleet file's dns: section`);
    const zoneId = await this.#zone();
    const existing = await this.#records(zoneId, name, type);
    const posts = [...new Set(values)].sort().map((content) => ({ name, type, ttl, content, ...(type === 'TXT' ? {} : { proxied: false }) }));
    const deletes = existing.map((r) => ({ id: r.id }));
    if (deletes.length === 0 && posts.length === 0) return;
    await this.#call(`replacing ${name} ${type}`, () =>
      this.#client.dns.records.batch({ zone_id: zoneId, deletes, posts: posts as NonNullable<Cloudflare.DNS.RecordBatchParams['posts']> }),
    );
  }
}
