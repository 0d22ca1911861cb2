// What a PEM certificate chain says about itself: the leaf's names, issuer, serial and validity.
// Pure (node:crypto's X509 parser).
import { X509Certificate } from 'node:crypto';

export interface CertInfo {
  /** DNS names of the leaf (subjectAltName), sorted. */
  domains: string[];
  /** The issuer's common name (or the whole issuer DN without one). */
  issuer: string;
  serial: string;
  notBefore: string;
  notAfter: string;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The certificates of a PEM chain, leaf first. */
export function pemCertificates(pem: string): string[] {
  return pem.match(PEM_CERT) ?? [];
}

/** Parses the leaf of a PEM chain; throws on text without a certificate. */
export function certInfo(fullchain: string): CertInfo {
  const leaf = pemCertificates(fullchain)[0];
  if (!leaf) throw new Error('no PEM certificate in the text');
  const x = new X509Certificate(leaf);
  const domains = (x.subjectAltName ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.startsWith('DNS:'))
    .map((s) => s.slice(4).toLowerCase())
    .sort();
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(x.issuer)?.[1];
  return {
    domains,
    issuer: cn ?? x.issuer.replace(/\n/g, ', '),
    serial: x.serialNumber.toLowerCase(),
    notBefore: new Date(x.validFrom).toISOString(),
    notAfter: new Date(x.validTo).toISOString(),
  };
}

/** Whole days from `now` to the certificate's expiry (negative once expired). */
export function daysLeft(notAfter: string, now: number): number {
  return Math.floor((Date.parse(notAfter) - now) / 86_400_000);
}

/** Due for renewal: expires within `renewBeforeDays` of `now`. */
export function dueForRenewal(notAfter: string, renewBeforeDays: number, now: number): boolean {
  return Date.parse(notAfter) - now <= renewBeforeDays * 86_400_000;
}
