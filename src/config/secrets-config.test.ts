// The fleet file's `secrets:` sections: folder and recipients normalized into the Fleet; a key that
// is not an age public key is refused at its position with what to give instead.
import { describe, expect, it } from 'vitest';
import { loadFleet } from './load.ts';

const R1 = 'age1je6kjhzuhdjy3fqptpttxjh5k8q46vygzlgtpuq3030c947pc5tqz9dqvr';
const R2 = 'age19j4d6v9j7rx5fs629fu387qz4zmlpsqjexa4s08tkfrrmfdl5cwqjlaupd';

const fleet = (extra: { top?: string; env?: string; server?: string }) => `project: acme
servers:
  s1: { local: true${extra.server ?? ''} }
environments:
  prod: { server: s1${extra.env ?? ''} }
  dev: { server: s1 }
${extra.top ?? ''}`;

describe('secrets: in the fleet file', () => {
  it('fleet-wide, per environment and per server recipients, and the folder', () => {
    const r = loadFleet('/srv/acme/slipway.yaml', {
      text: fleet({
        top: `secrets:\n  dir: vault\n  recipients: [${R1}, ${R1}]\n`,
        env: `, secrets: { recipients: [${R2}] }`,
        server: `, secrets: { recipients: [${R1}] }`,
      }),
    });
    expect(r.diagnostics).toEqual([]);
    expect(r.fleet!.secrets).toEqual({ dir: 'vault', recipients: [R1] });
    expect(r.fleet!.environments.map((e) => [e.name, e.secretsRecipients])).toEqual([
      ['prod', [R2]],
      ['dev', undefined],
    ]);
    expect(r.fleet!.servers[0]!.secretsRecipients).toEqual([R1]);
  });

  it('defaults: folder "secrets", no recipients', () => {
    const r = loadFleet('/srv/acme/slipway.yaml', { text: fleet({}) });
    expect(r.fleet!.secrets).toEqual({ dir: 'secrets', recipients: [] });
  });

  it('an SSH key or a typo is refused where it stands', () => {
    const r = loadFleet('/srv/acme/slipway.yaml', {
      text: fleet({ env: ', secrets: { recipients: ["ssh-ed25519 AAAAC3Nza"] }', top: 'secrets: { recipients: [age1nope] }\n' }),
    });
    const d = r.diagnostics.map((x) => ({ path: x.path, message: x.message, line: x.pos?.line }));
    expect(d).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: 'environments/prod/secrets/recipients/0', message: expect.stringMatching(/^SSH keys are not supported/), line: 5 }),
        expect.objectContaining({ path: 'secrets/recipients/0', message: expect.stringMatching(/^expected an age public key/), line: 7 }),
      ]),
    );
  });
});
