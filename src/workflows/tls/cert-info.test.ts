import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { certInfo, daysLeft, dueForRenewal, pemCertificates } from './cert-info.ts';

const CHAIN = readFileSync(join(import.meta.dirname, '../../../test/fixtures/tls/fullchain.pem'), 'utf8');

describe('certInfo', () => {
  it('reads the leaf of a chain: names (lower case, sorted), issuer CN, serial, validity', () => {
    expect(pemCertificates(CHAIN)).toHaveLength(2);
    expect(certInfo(CHAIN)).toEqual({
      domains: ['a.example.com', 'b.example.com'],
      issuer: 'Fixture CA',
      serial: '1234abcd',
      notBefore: '2026-12-01T13:03:09.000Z',
      notAfter: '2036-11-28T13:03:09.000Z',
    });
  });

  it('refuses text without a certificate', () => {
    expect(() => certInfo('hello')).toThrow(/no PEM certificate/);
  });
});

describe('renewal threshold', () => {
  const notAfter = '2030-01-31T00:00:00.000Z';
  const now = Date.parse('2030-01-01T00:00:00.000Z');
  it('is due within renewBeforeDays of expiry, not before', () => {
    expect(daysLeft(notAfter, now)).toBe(30);
    expect(dueForRenewal(notAfter, 30, now)).toBe(true);
    expect(dueForRenewal(notAfter, 29, now)).toBe(false);
    expect(daysLeft(notAfter, Date.parse('2030-02-02T00:00:00.000Z'))).toBe(-2);
  });
});
