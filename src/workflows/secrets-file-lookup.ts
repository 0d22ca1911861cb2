// Where a secret's value comes from at deploy and up time, in one place. For NAME in ENV:
//   1. secrets/ENV.age, 2. secrets/_all.age   (the repository's encrypted files), then
//   3. the server's value for ENV, 4. the server's value for every environment (the state store).
// The repository wins: it is reviewed and versioned; a name also set on the server is reported once
// as shadowed. Names Slipway generates (pg/…, slipway/…) come from the server only.
import type { Secret } from '../util/secret.ts';
import type { ServerRun } from './server-run.ts';

/** What resolveEnv and the proxy need: a value by name, for an environment. */
export interface SecretLookup {
  getSecret(name: string, env?: string): Promise<Secret | undefined>;
  /** Where a value is looked for (`secrets/prod.age, secrets/_all.age or server s1`), for messages. */
  describe(env?: string): string;
}

export function secretLookup(run: ServerRun): SecretLookup {
  const files = run.secretFiles;
  return {
    async getSecret(name, env) {
      const fromFile = await files?.get(name, env);
      if (!fromFile) return run.store.getSecret(name, env);
      if (await run.store.getSecret(name, env))
        run.report.warn(
          `secret ${name}${env ? ` (${env})` : ''} is set both in ${fromFile.file} and on ${run.conn.server.name}: the file's value is used (remove the other with: slipway secret rm ${name}${env ? ` --env ${env}` : ''} --store server)`,
        );
      return fromFile.secret;
    },
    describe(env) {
      const places = [...(files ? [...(env === undefined ? [] : [files.label(env)]), files.label(null)] : []), `server ${run.conn.server.name}`];
      return places.length > 1 ? `${places.slice(0, -1).join(', ')} or ${places.at(-1)}` : places[0]!;
    },
  };
}
