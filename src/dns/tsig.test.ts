// TSIG against fixed vectors: the expected MAC is computed here from RFC 8945's definition of the
// MAC input, written out byte by byte (not through tsig.ts), and a reply signed the way a server
// signs it is accepted, while a tampered reply, a wrong key and a stale time are refused.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Secret } from '../util/secret.ts';
import { readTsig, signMessage, verifyReply, wireName, type TsigKey } from './tsig.ts';

const SECRET_B64 = 'Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmE='; // 32 bytes
const key: TsigKey = { name: 'Slipway.', algorithm: 'hmac-sha256', secret: new Secret(SECRET_B64, 'dns-tsig') };
const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// An UPDATE for zone example.com (id 0x1234, opcode 5): zone section example.com SOA IN, no records.
const UPDATE = hex(`1234 2800 0001 0000 0000 0000
  07 6578616d706c65 03 636f6d 00  0006 0001`);
const TIME = 1_700_000_000; // 0x00006553f100
const FUDGE = 300; // 0x012c

// The MAC input (RFC 8945 4.3.3): message, then key name (lower case), class ANY, TTL 0,
// algorithm name, time signed (48 bits), fudge, error 0, other len 0.
const VARS = hex(`07 736c6970776179 00  00ff  00000000
  0b 686d61632d736861323536 00  00006553f100  012c  0000  0000`);
const EXPECTED_MAC = createHmac('sha256', Buffer.from(SECRET_B64, 'base64'))
  .update(Buffer.concat([UPDATE, VARS]))
  .digest();

describe('signMessage', () => {
  it('appends a TSIG record whose MAC is the HMAC of the message and the TSIG variables', () => {
    const s = signMessage(UPDATE, key, TIME, FUDGE);
    expect(s.mac.toString('hex')).toBe(EXPECTED_MAC.toString('hex'));
    expect(s.mac.toString('hex')).toBe('76ccee4a14cce73a2507c21276c4b68192426556f9727b0afa59b9727192524b'); // the same, pinned
    // ARCOUNT is now 1; the rest of the header is unchanged.
    expect(s.message.subarray(0, 12).toString('hex')).toBe('123428000001000000000001');
    const rr = s.message.subarray(UPDATE.length);
    const rdata = Buffer.concat([hex('0b 686d61632d736861323536 00  00006553f100  012c  0020'), EXPECTED_MAC, hex('1234 0000 0000')]);
    expect(rr.toString('hex')).toBe(
      Buffer.concat([hex('07 736c6970776179 00  00fa  00ff  00000000'), hex(rdata.length.toString(16).padStart(4, '0')), rdata]).toString('hex'),
    );
  });

  it('uses the algorithm named by the key (hmac-sha512, hmac-sha1)', () => {
    for (const [algorithm, hash, name] of [
      ['hmac-sha512', 'sha512', '0b 686d61632d736861353132 00'],
      ['hmac-sha1', 'sha1', '09 686d61632d73686131 00'],
    ] as const) {
      const vars = Buffer.concat([hex('07 736c6970776179 00  00ff  00000000'), hex(name), hex('00006553f100  012c  0000  0000')]);
      const expected = createHmac(hash, Buffer.from(SECRET_B64, 'base64'))
        .update(Buffer.concat([UPDATE, vars]))
        .digest();
      expect(signMessage(UPDATE, { ...key, algorithm }, TIME, FUDGE).mac.toString('hex')).toBe(expected.toString('hex'));
    }
  });

  it('writes names in canonical lower case', () => {
    expect(wireName('Hmac-SHA256.').toString('hex')).toBe('0b686d61632d73686132353600');
  });
});

// A NOERROR reply to the update (QR set), signed as a server signs it: the MAC covers the request
// MAC with its length, the reply without its TSIG record, and the TSIG variables.
function serverReply(requestMac: Buffer, timeSigned: number, secretB64 = SECRET_B64): Buffer {
  const reply = hex(`1234 a800 0001 0000 0000 0000  07 6578616d706c65 03 636f6d 00  0006 0001`);
  const time = hex(timeSigned.toString(16).padStart(12, '0'));
  const vars = Buffer.concat([hex('07 736c6970776179 00  00ff  00000000  0b 686d61632d736861323536 00'), time, hex('012c 0000 0000')]);
  const mac = createHmac('sha256', Buffer.from(secretB64, 'base64'))
    .update(Buffer.concat([hex('0020'), requestMac, reply, vars]))
    .digest();
  const rdata = Buffer.concat([hex('0b 686d61632d736861323536 00'), time, hex('012c 0020'), mac, hex('1234 0000 0000')]);
  const rr = Buffer.concat([hex('07 736c6970776179 00  00fa  00ff  00000000'), hex(rdata.length.toString(16).padStart(4, '0')), rdata]);
  const out = Buffer.concat([reply, rr]);
  out.writeUInt16BE(1, 10);
  return out;
}

describe('verifyReply', () => {
  const requestMac = signMessage(UPDATE, key, TIME, FUDGE).mac;

  it("accepts the server's signed reply", () => {
    expect(verifyReply(serverReply(requestMac, TIME + 1), key, requestMac, TIME + 2)).toEqual({ ok: true });
  });

  it('refuses a tampered reply', () => {
    const r = serverReply(requestMac, TIME + 1);
    r[3] = 0x85; // RCODE 5 (REFUSED) instead of NOERROR
    expect(verifyReply(r, key, requestMac, TIME + 2)).toMatchObject({ ok: false, reason: 'bad-mac' });
  });

  it('refuses a reply signed with another secret, or bound to another request', () => {
    const other = Buffer.alloc(32, 7).toString('base64');
    expect(verifyReply(serverReply(requestMac, TIME + 1, other), key, requestMac, TIME + 2)).toMatchObject({ ok: false, reason: 'bad-mac' });
    const otherRequest = Buffer.from(requestMac);
    otherRequest[0]! ^= 1;
    expect(verifyReply(serverReply(otherRequest, TIME + 1), key, requestMac, TIME + 2)).toMatchObject({ ok: false, reason: 'bad-mac' });
  });

  it('refuses a reply outside the fudge window, and an unsigned reply', () => {
    expect(verifyReply(serverReply(requestMac, TIME), key, requestMac, TIME + 301)).toMatchObject({ ok: false, reason: 'bad-time' });
    const unsigned = hex(`1234 a800 0001 0000 0000 0000  07 6578616d706c65 03 636f6d 00  0006 0001`);
    expect(verifyReply(unsigned, key, requestMac, TIME)).toEqual({ ok: false, reason: 'unsigned' });
  });

  it('reads the TSIG error of an unsigned error reply (BADKEY)', () => {
    const rdata = hex('0b 686d61632d736861323536 00  00006553f100 012c 0000  1234 0011 0000');
    const rr = Buffer.concat([hex('07 736c6970776179 00  00fa  00ff  00000000'), hex(rdata.length.toString(16).padStart(4, '0')), rdata]);
    const msg = Buffer.concat([hex('1234 a809 0001 0000 0000 0001  07 6578616d706c65 03 636f6d 00  0006 0001'), rr]);
    expect(readTsig(msg)).toMatchObject({ error: 17, keyName: 'slipway', mac: Buffer.alloc(0) });
    expect(verifyReply(msg, key, requestMac, TIME)).toMatchObject({ ok: false, reason: 'tsig-error', error: 17 });
  });
});
