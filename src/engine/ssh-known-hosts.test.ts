// Tests for known_hosts parsing and matching (plain, [host]:port, wildcards, negation, hashed)
// and ssh-keygen-compatible fingerprints. Vectors made with OpenSSH's ssh-keygen.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  fingerprintSha256,
  hashKnownHostName,
  hashedNameMatches,
  hostFieldMatches,
  keyTypeOfBlob,
  knownHostsName,
  knownKeyTypes,
  lookupKnownHost,
  normalizeFingerprint,
  parseKnownHosts,
} from './ssh-known-hosts.ts';

// `ssh-keygen -t ed25519` / `-t ecdsa`; fingerprints from `ssh-keygen -lf`.
const ED = 'AAAAC3NzaC1lZDI1NTE5AAAAIIl6wf0d9EWtXVcEHLIVIOVQ59LkIbYYD7t+jITlk3+F';
const ED_FP = 'SHA256:UXlw7Pn77I9kDgXrKsuoUy0A1O7ksjORZOfFFVLV5Rc';
const EC = 'AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEN+CPNSJmvgKvMVW+rlR9SC1dRbJzi9wHZ+PH0I5zMffN+edIV4tAVftcPjt7f1ummL9toec82/JrM8SpJ3pa8=';
const EC_FP = 'SHA256:VseE76rtKBXxbu3+XdCXv2tywDAdfyVE1scTEYkR8dU';
// `ssh-keygen -H` of "web1.example.com" and "[web1.example.com]:2222".
const HASHED_22 = '|1|zL2Qim4QYfducGkztwNvfXkV0ME=|lqv5BuvZucNXv0iT4FG7//B5ZO8=';
const HASHED_2222 = '|1|U9GxMJILMD9Kyro5UFoW184MLtc=|coFhbjDFXzQP2cveu5yQJYzE7Ac=';
const ed = Buffer.from(ED, 'base64');
const ec = Buffer.from(EC, 'base64');
// Another ed25519 key (same type, different key): the ED blob with its last byte changed.
const flipped = (b: Buffer, fromEnd: number): Buffer => {
  const c = Buffer.from(b);
  c.writeUInt8(c.readUInt8(c.length - fromEnd) ^ 0xff, c.length - fromEnd);
  return c;
};
const ed2 = flipped(ed, 1);

describe('fingerprints', () => {
  it('match ssh-keygen -lf (SHA256, unpadded base64)', () => {
    expect(fingerprintSha256(ed)).toBe(ED_FP);
    expect(fingerprintSha256(ec)).toBe(EC_FP);
  });
  it('read the key type from the blob', () => {
    expect(keyTypeOfBlob(ed)).toBe('ssh-ed25519');
    expect(keyTypeOfBlob(ec)).toBe('ecdsa-sha2-nistp256');
    expect(keyTypeOfBlob(Buffer.from([0, 0]))).toBe('unknown');
  });
  it.each([
    [ED_FP, ED_FP],
    [`${ED_FP}=`, ED_FP],
    [`  ${ED_FP} `, ED_FP],
    [`ssh-ed25519 ${ED} comment here`, ED_FP],
    [`ecdsa-sha2-nistp256 ${EC}`, EC_FP],
    ['SHA256:short', null],
    ['MD5:aa:bb', null],
    [`ssh-rsa ${ED}`, null], // type does not match the blob
    ['', null],
  ])('normalizeFingerprint(%j) = %j', (input, want) => {
    expect(normalizeFingerprint(input)).toBe(want);
  });
});

describe('parseKnownHosts', () => {
  it('reads entries with line numbers, markers, and skips comments and junk', () => {
    const text = [
      '# comment',
      '',
      `10.0.0.1,web1 ssh-ed25519 ${ED} comment`,
      `@revoked * ecdsa-sha2-nistp256 ${EC}`,
      `@cert-authority *.example.com ssh-ed25519 ${ED}`,
      '@bogus host ssh-ed25519 AAAA',
      'only-two-fields ssh-ed25519',
      'host ssh-ed25519 not*base64',
      `\t${HASHED_22} ssh-ed25519 ${ED}\r`,
    ].join('\n');
    expect(parseKnownHosts(text)).toEqual([
      { hosts: '10.0.0.1,web1', keyType: 'ssh-ed25519', keyBase64: ED, line: 3 },
      { marker: '@revoked', hosts: '*', keyType: 'ecdsa-sha2-nistp256', keyBase64: EC, line: 4 },
      { marker: '@cert-authority', hosts: '*.example.com', keyType: 'ssh-ed25519', keyBase64: ED, line: 5 },
      { hosts: HASHED_22, keyType: 'ssh-ed25519', keyBase64: ED, line: 9 },
    ]);
  });
});

describe('host matching', () => {
  it('names a host as OpenSSH does', () => {
    expect(knownHostsName('Web1.Example.com', 22)).toBe('web1.example.com');
    expect(knownHostsName('10.0.0.1', 2222)).toBe('[10.0.0.1]:2222');
  });

  it.each([
    ['web1', 'web1', true],
    ['WEB1', 'web1', true],
    ['web1,10.0.0.1', '10.0.0.1', true],
    ['web1', 'web10', false],
    ['web1', '[web1]:2222', false],
    ['[web1]:2222', '[web1]:2222', true],
    ['[web1]:2222', 'web1', false],
    ['[web1]:2222', '[web1]:2223', false],
    ['*.example.com', 'a.example.com', true],
    ['*.example.com', 'example.com', false],
    ['10.200.0.?', '10.200.0.2', true],
    ['10.200.0.?', '10.200.0.20', false],
    ['10.200.0.*,!10.200.0.9', '10.200.0.9', false],
    ['10.200.0.*,!10.200.0.9', '10.200.0.8', true],
    ['!web1', 'web2', false], // only negative: no match
    ['a.b', 'axb', false], // dot is literal
    [HASHED_22, 'web1.example.com', true],
    [HASHED_22, 'web2.example.com', false],
    [HASHED_22, '[web1.example.com]:2222', false],
    [HASHED_2222, '[web1.example.com]:2222', true],
    [HASHED_2222, 'web1.example.com', false],
  ])('%s matches %s: %s', (field, name, want) => {
    expect(hostFieldMatches(field, name)).toBe(want);
  });

  it('hashes names like ssh-keygen -H (HMAC-SHA1 with the salt)', () => {
    const salt = Buffer.from('zL2Qim4QYfducGkztwNvfXkV0ME=', 'base64');
    expect(hashKnownHostName('web1.example.com', salt)).toBe(HASHED_22);
    const h = hashKnownHostName('[10.200.0.2]:22', randomBytes(20));
    expect(hashedNameMatches(h, '[10.200.0.2]:22')).toBe(true);
    expect(hashedNameMatches(h, '10.200.0.2')).toBe(false);
    expect(hashedNameMatches('|1|broken', 'x')).toBe(false);
    expect(hashedNameMatches('|2|a|b', 'x')).toBe(false);
  });
});

describe('lookupKnownHost', () => {
  const entries = parseKnownHosts(
    [
      `web1,10.0.0.1 ssh-ed25519 ${ED}`,
      `[web1]:2222 ssh-ed25519 ${ED}`,
      `${HASHED_22} ecdsa-sha2-nistp256 ${EC}`,
      `db1 ecdsa-sha2-nistp256 ${EC}`,
      `@revoked old ssh-ed25519 ${ed2.toString('base64')}`,
      `@cert-authority ca ssh-ed25519 ${ED}`,
    ].join('\n'),
  );

  it('matches a plain entry and [host]:port', () => {
    expect(lookupKnownHost(entries, 'web1', 22, ed)).toMatchObject({ kind: 'match', entry: { line: 1 } });
    expect(lookupKnownHost(entries, '10.0.0.1', 22, ed)).toMatchObject({ kind: 'match', entry: { line: 1 } });
    expect(lookupKnownHost(entries, 'web1', 2222, ed)).toMatchObject({ kind: 'match', entry: { line: 2 } });
  });
  it('matches a hashed entry', () => {
    expect(lookupKnownHost(entries, 'web1.example.com', 22, ec)).toMatchObject({ kind: 'match', entry: { line: 3 } });
  });
  it('reports a different key of the same type as changed', () => {
    expect(lookupKnownHost(entries, 'web1', 22, ed2)).toMatchObject({ kind: 'revoked' }); // ed2 is also revoked
    const other = flipped(ed, 2);
    expect(lookupKnownHost(entries, 'web1', 22, other)).toMatchObject({ kind: 'changed', entries: [{ line: 1 }] });
  });
  it('reports a host known only with other key types', () => {
    expect(lookupKnownHost(entries, 'db1', 22, ed)).toMatchObject({ kind: 'other-type', entries: [{ line: 4 }] });
  });
  it('reports an unknown host, and a port that was never recorded', () => {
    expect(lookupKnownHost(entries, 'web9', 22, ed)).toEqual({ kind: 'unknown' });
    expect(lookupKnownHost(entries, 'web1', 2200, ed)).toEqual({ kind: 'unknown' });
    expect(lookupKnownHost(entries, 'ca', 22, ed)).toEqual({ kind: 'unknown' }); // @cert-authority is not a host key
  });
  it('lists the key types known for a host', () => {
    expect(knownKeyTypes(entries, 'web1', 22)).toEqual(['ssh-ed25519']);
    expect(knownKeyTypes(entries, 'web1.example.com', 22)).toEqual(['ecdsa-sha2-nistp256']);
    expect(knownKeyTypes(entries, 'nope', 22)).toEqual([]);
  });
});
