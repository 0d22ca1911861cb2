// Tests for the host key policy: pinned fingerprint first, else known_hosts; unknown, changed
// and revoked keys are refused with messages that name the server, show the fingerprint and
// say how to accept it.
import { describe, expect, it } from 'vitest';
import { SshError, formatDuration } from './ssh-errors.ts';
import type { HostKeyPolicy } from './ssh-host-key.ts';
import { verifyHostKey } from './ssh-host-key.ts';

const ED = 'AAAAC3NzaC1lZDI1NTE5AAAAIIl6wf0d9EWtXVcEHLIVIOVQ59LkIbYYD7t+jITlk3+F';
const ED_FP = 'SHA256:UXlw7Pn77I9kDgXrKsuoUy0A1O7ksjORZOfFFVLV5Rc';
const EC = 'AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEN+CPNSJmvgKvMVW+rlR9SC1dRbJzi9wHZ+PH0I5zMffN+edIV4tAVftcPjt7f1ummL9toec82/JrM8SpJ3pa8=';
const EC_FP = 'SHA256:VseE76rtKBXxbu3+XdCXv2tywDAdfyVE1scTEYkR8dU';
const ed = Buffer.from(ED, 'base64');
const edOther = Buffer.from(ed);
edOther.writeUInt8(edOther.readUInt8(edOther.length - 1) ^ 0xff, edOther.length - 1);

const policy = (p: Partial<HostKeyPolicy>): HostKeyPolicy => ({
  serverName: 'web1',
  host: '10.0.0.5',
  port: 22,
  knownHostsPath: '/home/me/.ssh/known_hosts',
  knownHostsText: undefined,
  ...p,
});
const refused = (v: ReturnType<typeof verifyHostKey>): SshError => {
  if (v.ok) throw new Error('expected the key to be refused');
  return v.error;
};

describe('verifyHostKey', () => {
  it('accepts the pinned fingerprint, with or without padding, or as a public key', () => {
    for (const pinned of [ED_FP, `${ED_FP}=`, `ssh-ed25519 ${ED} web1`]) {
      expect(verifyHostKey(policy({ pinned }), ed)).toEqual({ ok: true, via: 'pinned', fingerprint: ED_FP });
    }
  });

  it('refuses a key that differs from the pin as HOST KEY CHANGED, even if known_hosts lists it', () => {
    const e = refused(verifyHostKey(policy({ pinned: EC_FP, knownHostsText: `10.0.0.5 ssh-ed25519 ${ED}\n` }), ed));
    expect(e).toBeInstanceOf(SshError);
    expect(e.kind).toBe('host-key-changed');
    expect(e.server).toBe('web1');
    expect(e.message).toMatch(/^HOST KEY CHANGED for web1 \(10\.0\.0\.5:22\)/);
    expect(e.message).toContain(`presented ssh-ed25519 ${ED_FP}`);
    expect(e.message).toContain(`pins host_key "${EC_FP}"`);
    expect(e.message).toContain(`host_key: "${ED_FP}"`);
  });

  it('refuses a malformed pin with a config error', () => {
    const e = refused(verifyHostKey(policy({ pinned: 'aa:bb:cc' }), ed));
    expect(e.kind).toBe('config');
    expect(e.message).toContain('SHA256 fingerprint');
  });

  it('accepts a key listed in known_hosts', () => {
    const v = verifyHostKey(policy({ knownHostsText: `# mine\n10.0.0.5 ssh-ed25519 ${ED}\n` }), ed);
    expect(v).toEqual({ ok: true, via: 'known_hosts', fingerprint: ED_FP });
    expect(verifyHostKey(policy({ port: 2222, knownHostsText: `[10.0.0.5]:2222 ssh-ed25519 ${ED}\n` }), ed).ok).toBe(true);
  });

  it('refuses an unknown host, naming the server and fingerprint, with both ways to accept it', () => {
    for (const knownHostsText of [undefined, '', `10.0.0.6 ssh-ed25519 ${ED}\n`]) {
      const e = refused(verifyHostKey(policy({ knownHostsText }), ed));
      expect(e.kind).toBe('host-key-unknown');
      expect(e.message).toContain('web1 (10.0.0.5:22) presented an unknown host key');
      expect(e.message).toContain(ED_FP);
      expect(e.message).toContain(`host_key: "${ED_FP}"`);
      expect(e.message).toContain('ssh-keyscan -p 22 10.0.0.5 >> /home/me/.ssh/known_hosts');
      expect(e.message).not.toMatch(/CHANGED/);
    }
    expect(refused(verifyHostKey(policy({}), ed)).message).toContain('which does not exist');
  });

  it('refuses a changed key distinctly, citing the old fingerprint and its line', () => {
    const e = refused(verifyHostKey(policy({ knownHostsText: `x ssh-ed25519 ${ED}\n10.0.0.5 ssh-ed25519 ${ED}\n` }), edOther));
    expect(e.kind).toBe('host-key-changed');
    expect(e.message).toMatch(/^HOST KEY CHANGED for web1 \(10\.0\.0\.5:22\)/);
    expect(e.message).toContain(`${ED_FP} (line 2)`);
    expect(e.message).toContain('ssh-keygen -R 10.0.0.5 -f /home/me/.ssh/known_hosts');
  });

  it('refuses a key type that known_hosts does not list for the host', () => {
    const e = refused(verifyHostKey(policy({ knownHostsText: `10.0.0.5 ecdsa-sha2-nistp256 ${EC}\n` }), ed));
    expect(e.kind).toBe('host-key-unknown');
    expect(e.message).toContain('only lists ecdsa-sha2-nistp256 keys');
  });

  it('refuses a revoked key', () => {
    const e = refused(verifyHostKey(policy({ knownHostsText: `10.0.0.5 ssh-ed25519 ${ED}\n@revoked * ssh-ed25519 ${ED}\n` }), ed));
    expect(e.kind).toBe('host-key-revoked');
    expect(e.message).toContain(':2 marks @revoked');
  });
});

describe('formatDuration', () => {
  it.each([
    [10_000, '10 s'],
    [1_500, '1.5 s'],
    [250, '250 ms'],
  ])('%d ms is %s', (ms, want) => expect(formatDuration(ms)).toBe(want));
});
