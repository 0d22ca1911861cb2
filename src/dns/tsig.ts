// TSIG (RFC 8945, formerly RFC 2845): signs a DNS message with a shared HMAC key and checks the
// signature on the server's reply. The MAC covers the message as sent (without its TSIG record) and
// the TSIG variables: key name and algorithm name in canonical wire form (lower case, no
// compression), class ANY, TTL 0, time signed (48 bits), fudge, error and other data. A reply's MAC
// is taken over the request's MAC (with its length), then the reply the same way.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Secret } from '../util/secret.ts';
import { tsigKeyBytes } from './credential-handover.ts';

export type TsigAlgorithm = 'hmac-sha256' | 'hmac-sha512' | 'hmac-sha1';

export interface TsigKey {
  /** The key's name as the server knows it (`key "NAME" { … }` in named.conf). */
  name: string;
  algorithm: TsigAlgorithm;
  /** The base64 secret, still wrapped: unwrapped only to key the HMAC. */
  secret: Secret;
}

export const TSIG_TYPE = 250;
const CLASS_ANY = 255;
export const DEFAULT_FUDGE_S = 300;

/** TSIG error codes (RFC 8945 section 5.3 and the RCODE registry). */
export const TSIG_ERRORS: Record<number, string> = { 16: 'BADSIG', 17: 'BADKEY', 18: 'BADTIME', 22: 'BADTRUNC' };

const HASH: Record<TsigAlgorithm, string> = { 'hmac-sha256': 'sha256', 'hmac-sha512': 'sha512', 'hmac-sha1': 'sha1' };

/** A domain name in canonical wire form: lower case labels, each with its length, then the root. */
export function wireName(name: string): Buffer {
  const labels = name
    .toLowerCase()
    .replace(/\.$/, '')
    .split('.')
    .filter((l) => l !== '');
  const parts: Buffer[] = [];
  for (const l of labels) {
    const b = Buffer.from(l, 'ascii');
    if (b.length > 63) throw new Error(`DNS label "${l}" is longer than 63 bytes`);
    parts.push(Buffer.from([b.length]), b);
  }
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

function uint48(n: number): Buffer {
  const b = Buffer.alloc(6);
  b.writeUIntBE(n, 0, 6);
  return b;
}

function uint16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n, 0);
  return b;
}

/** The TSIG variables that follow the message in the MAC input (RFC 8945 section 4.3.3). */
function tsigVariables(key: TsigKey, timeSigned: number, fudge: number, error: number, other: Buffer): Buffer {
  return Buffer.concat([
    wireName(key.name),
    uint16(CLASS_ANY),
    Buffer.alloc(4), // TTL 0
    wireName(key.algorithm),
    uint48(timeSigned),
    uint16(fudge),
    uint16(error),
    uint16(other.length),
    other,
  ]);
}

function hmac(key: TsigKey, parts: readonly Buffer[]): Buffer {
  const bytes = tsigKeyBytes(key.secret);
  if (!bytes) throw new Error(`TSIG secret ${key.secret.name} is not base64`);
  const h = createHmac(HASH[key.algorithm], bytes);
  for (const p of parts) h.update(p);
  return h.digest();
}

export interface Signed {
  /** The message with its TSIG record appended (ARCOUNT one higher). */
  message: Buffer;
  /** The request MAC, needed to check the reply. */
  mac: Buffer;
}

/** Signs `message` (a complete DNS message without TSIG) at `timeSigned` (seconds since the epoch). */
export function signMessage(message: Buffer, key: TsigKey, timeSigned: number, fudge = DEFAULT_FUDGE_S): Signed {
  const mac = hmac(key, [message, tsigVariables(key, timeSigned, fudge, 0, Buffer.alloc(0))]);
  const rdata = Buffer.concat([
    wireName(key.algorithm),
    uint48(timeSigned),
    uint16(fudge),
    uint16(mac.length),
    mac,
    message.subarray(0, 2), // original ID
    uint16(0), // error
    uint16(0), // other len
  ]);
  const rr = Buffer.concat([wireName(key.name), uint16(TSIG_TYPE), uint16(CLASS_ANY), Buffer.alloc(4), uint16(rdata.length), rdata]);
  const out = Buffer.concat([message, rr]);
  out.writeUInt16BE(message.readUInt16BE(10) + 1, 10);
  return { message: out, mac };
}

/** Offset just past the (possibly compressed) name at `off`. */
function skipName(buf: Buffer, off: number): number {
  for (;;) {
    if (off >= buf.length) throw new Error('truncated DNS name');
    const len = buf[off]!;
    if (len === 0) return off + 1;
    if ((len & 0xc0) === 0xc0) return off + 2;
    off += 1 + len;
  }
}

/** Reads an uncompressed name (TSIG names are never compressed) and the offset after it. */
function readName(buf: Buffer, off: number): { name: string; end: number } {
  const labels: string[] = [];
  for (;;) {
    const len = buf[off];
    if (len === undefined || (len & 0xc0) !== 0) throw new Error('bad name in TSIG record');
    off += 1;
    if (len === 0) return { name: labels.join('.').toLowerCase(), end: off };
    labels.push(buf.subarray(off, off + len).toString('ascii'));
    off += len;
  }
}

export interface TsigRecord {
  /** Where the TSIG record starts in the message. */
  offset: number;
  keyName: string;
  algorithm: string;
  timeSigned: number;
  fudge: number;
  mac: Buffer;
  originalId: number;
  error: number;
  other: Buffer;
}

/** The TSIG record of a message (its last additional record), if it has one. */
export function readTsig(buf: Buffer): TsigRecord | undefined {
  if (buf.length < 12) throw new Error('DNS message shorter than its header');
  const counts = [4, 6, 8, 10].map((o) => buf.readUInt16BE(o)) as [number, number, number, number];
  const total = counts[1] + counts[2] + counts[3];
  if (counts[3] === 0) return undefined;
  let off = 12;
  for (let i = 0; i < counts[0]; i++) off = skipName(buf, off) + 4;
  let last = off;
  for (let i = 0; i < total; i++) {
    last = off;
    off = skipName(buf, off);
    const rdlen = buf.readUInt16BE(off + 8);
    off += 10 + rdlen;
  }
  const owner = readName(buf, last);
  if (buf.readUInt16BE(owner.end) !== TSIG_TYPE) return undefined;
  let p = owner.end + 10;
  const alg = readName(buf, p);
  p = alg.end;
  const timeSigned = buf.readUIntBE(p, 6);
  const fudge = buf.readUInt16BE(p + 6);
  const macLen = buf.readUInt16BE(p + 8);
  const mac = Buffer.from(buf.subarray(p + 10, p + 10 + macLen));
  p += 10 + macLen;
  const originalId = buf.readUInt16BE(p);
  const error = buf.readUInt16BE(p + 2);
  const otherLen = buf.readUInt16BE(p + 4);
  const other = Buffer.from(buf.subarray(p + 6, p + 6 + otherLen));
  return { offset: last, keyName: owner.name, algorithm: alg.name, timeSigned, fudge, mac, originalId, error, other };
}

export type ReplyCheck =
  | { ok: true }
  | { ok: false; reason: 'unsigned' | 'other-key' | 'bad-mac' | 'bad-time' | 'tsig-error'; error?: number; timeSigned?: number };

/**
 * Checks the TSIG on a reply to a request signed with `key` whose MAC was `requestMac`, at `now`
 * (seconds since the epoch). A reply carrying a TSIG error (BADSIG, BADKEY, BADTIME) is not signed
 * and says so through `tsig-error`.
 */
export function verifyReply(reply: Buffer, key: TsigKey, requestMac: Buffer, now: number): ReplyCheck {
  const t = readTsig(reply);
  if (!t) return { ok: false, reason: 'unsigned' };
  if (t.error !== 0) return { ok: false, reason: 'tsig-error', error: t.error, timeSigned: t.timeSigned };
  if (t.keyName !== key.name.toLowerCase().replace(/\.$/, '') || t.algorithm !== key.algorithm) return { ok: false, reason: 'other-key' };
  const body = Buffer.from(reply.subarray(0, t.offset));
  body.writeUInt16BE(body.readUInt16BE(10) - 1, 10);
  body.writeUInt16BE(t.originalId, 0);
  const expected = hmac(key, [uint16(requestMac.length), requestMac, body, tsigVariables(key, t.timeSigned, t.fudge, t.error, t.other)]);
  if (expected.length !== t.mac.length || !timingSafeEqual(expected, t.mac)) return { ok: false, reason: 'bad-mac' };
  if (Math.abs(now - t.timeSigned) > t.fudge) return { ok: false, reason: 'bad-time', timeSigned: t.timeSigned };
  return { ok: true };
}
