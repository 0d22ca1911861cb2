// One certificate from an ACME directory with acme-client: a fresh P-256 key and CSR, the order,
// one challenge per name (placed and removed by the caller's `challenge`), the chain. The
// directory's HTTPS is trusted with the system roots plus `caRootPem` (a private CA such as
// pebble), through an https agent given to acme-client's requests for that directory's origin
// only, and removed again afterwards (nothing global is changed for other directories).
import { Agent, get } from 'node:https';
import { rootCertificates } from 'node:tls';
// acme-client (with node-forge, axios…) loads only when a certificate is ordered.
const acmeLib = () => import('acme-client');
import { UserError } from '../../diag/errors.ts';
import { Secret } from '../../util/secret.ts';

export type ChallengeType = 'http-01' | 'dns-01';

/** Places and removes one challenge response (HTTP-01: the key authorization under the token; DNS-01: the TXT value). */
export interface ChallengeSolver {
  type: ChallengeType;
  place(host: string, token: string, value: string): Promise<void>;
  remove(host: string, token: string, value: string): Promise<void>;
}

export interface OrderRequest {
  directory: string;
  caRootPem?: string;
  accountKey: Buffer;
  email?: string;
  domains: string[];
  solver: ChallengeSolver;
}

export interface OrderResult {
  fullchain: string;
  key: Secret;
}

/** A new account key (PEM), stored by the caller. */
export async function newAccountKey(): Promise<Buffer> {
  return (await acmeLib()).crypto.createPrivateEcdsaKey('P-256');
}

export async function orderCertificate(req: OrderRequest): Promise<OrderResult> {
  const acme = await acmeLib();
  const origin = new URL(req.directory).origin;
  const agent = req.caRootPem ? new Agent({ ca: [...rootCertificates, req.caRootPem], keepAlive: false }) : undefined;
  const interceptor = agent
    ? acme.axios.interceptors.request.use((config) => {
        const url = config.url ?? '';
        if (url.startsWith(`${origin}/`) || url === origin) config.httpsAgent = agent;
        return config;
      })
    : undefined;
  try {
    await probeDirectory(req.directory, agent, !!req.caRootPem);
    const client = new acme.Client({ directoryUrl: req.directory, accountKey: req.accountKey, backoffAttempts: 10, backoffMin: 200, backoffMax: 3000 });
    const [keyPem, csr] = await acme.crypto.createCsr({ commonName: req.domains[0]!, altNames: req.domains }, await acme.crypto.createPrivateEcdsaKey('P-256'));
    const key = new Secret(keyPem.toString('utf8'), `tls key ${req.domains[0]}`);
    keyPem.fill(0);
    const fullchain = await client.auto({
      csr,
      ...(req.email ? { email: req.email } : {}),
      termsOfServiceAgreed: true,
      // Slipway's machine is not where the name points (DNS-01 before a move, private networks):
      // the CA's own validation is the check.
      skipChallengeVerification: true,
      challengePriority: [req.solver.type],
      challengeCreateFn: async (authz, challenge, keyAuthorization) => {
        await req.solver.place(authz.identifier.value, (challenge as { token: string }).token, keyAuthorization);
      },
      challengeRemoveFn: async (authz, challenge, keyAuthorization) => {
        await req.solver.remove(authz.identifier.value, (challenge as { token: string }).token, keyAuthorization);
      },
    });
    return { fullchain, key };
  } finally {
    if (interceptor !== undefined) acme.axios.interceptors.request.eject(interceptor);
    agent?.destroy();
  }
}

/**
 * One GET of the directory before acme-client's retrying requests: an unreachable or untrusted
 * directory is said at once, with what to do (acme-client would retry for minutes, then report a
 * TypeError).
 */
function probeDirectory(directory: string, agent: Agent | undefined, hasCaRoot: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = (what: string, hint: string) => reject(new UserError(`the ACME directory ${directory} ${what}`, hint));
    const req = get(directory, { ...(agent ? { agent } : {}), timeout: 15_000 }, (res) => {
      res.resume();
      if (res.statusCode === 200) resolve();
      else fail(`answered HTTP ${res.statusCode}`, 'check tls.acme.directory in the fleet file (letsencrypt, letsencrypt-staging or the URL of a directory)');
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timed out after 15 s'), { code: 'ETIMEDOUT' })));
    req.on('error', (e: NodeJS.ErrnoException) => {
      const tlsTrust = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/.test(e.code ?? '');
      if (tlsTrust)
        fail(
          `is served with a certificate this machine does not trust (${e.code})`,
          hasCaRoot
            ? 'tls.acme.ca_root names a CA that did not sign it: point it at the right PEM file'
            : 'for a private CA, name its root PEM file in tls.acme.ca_root',
        );
      else fail(`cannot be reached (${e.code ?? e.message})`, 'check tls.acme.directory and that this machine can reach it over HTTPS');
    });
  });
}
