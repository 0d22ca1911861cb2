// `slipway dns plan|apply` end to end: the real CLI against a real BIND (test/support/bind.ts) for a
// fleet shaped like seed 000's split (examples/prod-devstg-split: prod stays on vps1, dev and
// staging move to vps2), the servers being the simulated hosts over SSH. The TSIG secret reaches
// the CLI as it does for a user: `slipway secret set dns-tsig` into the repository's encrypted
// secrets/_all.age, read back with SLIPWAY_AGE_KEY. The plan shows the move (dev's record updated,
// staging's created, a domain without a zone not managed), `apply --ttl 60` makes it, the real dig
// sees every record at TTL 60, a record the fleet does not name survives, and the secret appears
// in no output, --json included.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostsUp, type HarnessHosts } from './harness/hosts.ts';
import { type Bind, startBind } from './support/bind.ts';
import { type CliResult, slipway, transcript } from './support/cli.ts';

let bind: Bind;
let hosts: HarnessHosts;
let dir: string;
let env: Record<string, string>;
let recipient: string;

const VPS1 = '203.0.113.10';
const VPS2 = '203.0.113.11';

function fleetYaml(recipient: string, b: Bind, keyName = b.keyName): string {
  return `# seed 000 after the split: prod alone on vps1, dev and staging on vps2
project: dnscli
servers:
  vps1: { ssh: root@10.200.0.2, address: ${VPS1}, proxy: nginx }
  vps2: { ssh: root@10.200.0.3, address: ${VPS2}, proxy: nginx }
secrets:
  recipients: [${recipient}]
environments:
  prod: { server: vps1, domain: "{app}.example.com", tls: off }
  staging: { server: vps2, domain: "{app}-staging.example.com", tls: off }
  dev: { server: vps2, domain: "{app}-dev.example.com", tls: off }
dns:
  example.com:
    provider: rfc2136
    server: ${b.host}:${b.port}
    key: { name: ${keyName}, algorithm: ${b.algorithm}, secret: { secret: dns-tsig } }
    ttl: 300
apps:
  aletheia:
    image: busybox:1.36
    processes:
      web: { command: "httpd -f -p 8000", port: 8000 }
  helios:
    image: busybox:1.36
    domains:
      prod: [cda.example.com, shop.example.net]
      default: "cda-{env}.example.com"
    processes:
      web: { command: "httpd -f -p 3000", port: 3000 }
`;
}

const cli = (args: string[], input?: string) => slipway(args, { cwd: dir, env, input });
const noStack = (r: CliResult) => expect(`${r.stdout}\n${r.stderr}`).not.toMatch(/\n\s+at .+\(.*:\d+:\d+\)/);
const out = (r: CliResult) => `exit ${r.code}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`;

beforeAll(async () => {
  hosts = await hostsUp();
  // Before the move: everything on vps1; plus a record Slipway does not manage.
  bind = await startBind({
    zone: 'example.com',
    records: [
      `aletheia 300 IN A ${VPS1}`,
      `aletheia-dev 300 IN A ${VPS1}`,
      `cda-dev 3600 IN A ${VPS1}`,
      'keep 600 IN A 192.0.2.99',
      'keep 600 IN TXT "not ours"',
    ],
  });
  dir = mkdtempSync(join(tmpdir(), 'slipway-dns-cli-'));
  const id = await generateX25519Identity();
  recipient = await identityToRecipient(id);
  writeFileSync(join(dir, 'slipway.yaml'), fleetYaml(recipient, bind));
  env = { SLIPWAY_SSH_KEY: hosts.sshKeyPath, SLIPWAY_KNOWN_HOSTS: hosts.knownHostsPath, SSH_AUTH_SOCK: '', SLIPWAY_AGE_KEY: id, SLIPWAY_FILE: '' };
  const set = await cli(['secret', 'set', 'dns-tsig'], bind.secret);
  expect(set.code, out(set)).toBe(0);
}, 300_000);

afterAll(async () => {
  await bind?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('slipway dns', () => {
  it('plan shows the move: + for new names, ~ with old → new addresses, not managed for a domain without a zone', async () => {
    const r = await cli(['dns', 'plan']);
    expect(r.code, out(r)).toBe(0);
    expect(r.stdout).toContain(`zone example.com (rfc2136 ${bind.host}:${bind.port}, key ${bind.keyName})`);
    expect(r.stdout).toContain(`    aletheia.example.com A ttl 300 ${VPS1}  (prod)`);
    expect(r.stdout).toContain(`  ~ aletheia-dev.example.com A  (dev)\n      values: ${VPS1} → ${VPS2}\n`);
    expect(r.stdout).toContain(`  ~ cda-dev.example.com A  (dev)\n      ttl: 3600 → 300\n      values: ${VPS1} → ${VPS2}\n`);
    expect(r.stdout).toContain(`  + aletheia-staging.example.com A ttl 300 ${VPS2}  (staging)`);
    expect(r.stdout).toContain('  shop.example.net  (prod, helios): no zone in dns: holds it');
    expect(r.stdout).toMatch(/Plan: 3 to create, 2 to update, 1 unchanged\.\n$/);
    expect(r.stdout).not.toContain('keep.example.com');

    const j = await cli(['dns', 'plan', '--json']);
    expect(j.code, out(j)).toBe(0);
    const plan = JSON.parse(j.stdout);
    expect(plan.summary).toEqual({ create: 3, update: 2, unchanged: 1 });
    expect(plan.notManaged).toEqual([expect.objectContaining({ host: 'shop.example.net', reason: 'no-zone' })]);

    const staging = await cli(['dns', 'plan', 'staging', '--json']);
    expect(JSON.parse(staging.stdout).zones[0].changes.map((c: { name: string; kind: string }) => `${c.kind} ${c.name}`)).toEqual([
      'create aletheia-staging.example.com',
      'create cda-staging.example.com',
    ]);
    // Nothing changed on the server by planning.
    expect(bind.dig('aletheia-dev.example.com', 'A')).toEqual([`aletheia-dev.example.com. 300 IN A ${VPS1}`]);
  });

  it('apply --ttl 60 makes the changes: dig sees every record at TTL 60; the unmanaged record survives', async () => {
    const r = await cli(['dns', 'apply', '--ttl', '60']);
    expect(r.code, out(r)).toBe(0);
    expect(r.stderr).toContain(`✓ ~ aletheia-dev.example.com A ttl 60 ${VPS2}`);
    expect(r.stdout).toMatch(/Applied: 3 created, 3 updated\.\n$/);
    for (const [name, ip] of [
      ['aletheia.example.com', VPS1] as const,
      ['cda.example.com', VPS1],
      ['aletheia-dev.example.com', VPS2],
      ['cda-dev.example.com', VPS2],
      ['aletheia-staging.example.com', VPS2],
      ['cda-staging.example.com', VPS2],
    ])
      expect(bind.dig(name, 'A')).toEqual([`${name}. 60 IN A ${ip}`]);
    expect(bind.dig('keep.example.com', 'A')).toEqual(['keep.example.com. 600 IN A 192.0.2.99']);
    expect(bind.dig('keep.example.com', 'TXT')).toEqual(['keep.example.com. 600 IN TXT "not ours"']);

    const again = await cli(['dns', 'plan', '--ttl', '60']);
    expect(again.stdout).toMatch(/No DNS changes\. 6 record sets up to date\.\n$/);
    const json = await cli(['dns', 'apply', '--ttl', '60', '--json']);
    expect(json.code, out(json)).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ applied: [], plan: { summary: { create: 0, update: 0, unchanged: 6 } } });
  });

  it('bad input gets a diagnostic: an unknown environment, a bad --ttl, a key the server does not know', async () => {
    const unknown = await cli(['dns', 'plan', 'qa']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^error: unknown environment "qa"\n {2}hint: environments in the fleet: prod, staging, dev/m);
    const ttl = await cli(['dns', 'apply', '--ttl', 'soon']);
    expect(ttl.code).toBe(2);
    expect(ttl.stderr).toMatch(/--ttl.*Expected a whole number ≥ 1/);
    const other = join(dir, 'wrong-key.yaml');
    writeFileSync(other, fleetYaml(recipient, bind, 'not-the-key'));
    const badKey = await cli(['dns', 'apply', '-f', other, '--ttl', '30']);
    expect(badKey.code, out(badKey)).toBe(1);
    expect(badKey.stderr).toMatch(/error: the DNS server .* refused the update of .* it does not know key "not-the-key" \(hmac-sha256\) \(BADKEY\)/);
    for (const r of [unknown, ttl, badKey]) noStack(r);
    expect(bind.dig('aletheia.example.com', 'A')).toEqual([`aletheia.example.com. 60 IN A ${VPS1}`]);
  });

  it('every command has --help', async () => {
    for (const c of [['dns'], ['dns', 'plan'], ['dns', 'apply']]) {
      const r = await cli([...c, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/Usage: slipway dns/);
    }
    const r = await cli(['dns', 'apply', '--help']);
    expect(r.stdout).toContain('--ttl <seconds>');
    expect(r.stdout).toContain('--json');
  });

  it('the TSIG secret appears in no output', () => {
    expect(transcript.length).toBeGreaterThan(8);
    for (const t of transcript) expect(t).not.toContain(bind.secret);
  });
});
