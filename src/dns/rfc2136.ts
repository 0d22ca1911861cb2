// A zone on an authoritative server that takes TSIG-signed dynamic updates (RFC 2136), such as BIND
// with `allow-update { key … }`. A replace is one signed UPDATE without prerequisites: delete the
// record set (class ANY), then add each new value, so the server applies both or neither. Lookups
// are plain queries to the same server. Messages are built with dns-packet; the TSIG record is
// appended by tsig.ts. Everything goes over TCP.
import { randomInt } from 'node:crypto';
import * as packet from 'dns-packet';
import { UserError } from '../diag/errors.ts';
import { type DnsProvider, type DnsRecord, normalizeName, normalizeValue, type RecordType } from './records.ts';
import { DEFAULT_TIMEOUT_MS, type Endpoint, exchangeTcp } from './tcp-exchange.ts';
import { readTsig, signMessage, TSIG_ERRORS, type TsigKey, verifyReply } from './tsig.ts';

export interface Rfc2136Options {
  zone: string;
  host: string;
  port: number;
  key: TsigKey;
  timeoutMs?: number;
  /** Seconds since the epoch (the TSIG time); the system clock by default. */
  now?: () => number;
}

const OPCODE_UPDATE = 5 << 11;
const RCODES: Record<number, string> = {
  0: 'NOERROR',
  1: 'FORMERR',
  2: 'SERVFAIL',
  3: 'NXDOMAIN',
  4: 'NOTIMP',
  5: 'REFUSED',
  6: 'YXDOMAIN',
  7: 'YXRRSET',
  8: 'NXRRSET',
  9: 'NOTAUTH',
  10: 'NOTZONE',
};

/** TXT values longer than 255 bytes travel as several character-strings and are read back joined. */
function txtStrings(value: string): Buffer[] {
  const b = Buffer.from(value, 'utf8');
  const out: Buffer[] = [];
  for (let i = 0; i < b.length; i += 255) out.push(b.subarray(i, i + 255));
  return out.length ? out : [Buffer.alloc(0)];
}

function rdataOf(type: RecordType, value: string): string | Buffer[] {
  return type === 'TXT' ? txtStrings(value) : value;
}

export class Rfc2136Provider implements DnsProvider {
  readonly zone: string;
  readonly #opts: Rfc2136Options;
  readonly #ep: Endpoint;

  constructor(opts: Rfc2136Options) {
    this.#opts = opts;
    this.zone = normalizeName(opts.zone);
    this.#ep = { host: opts.host, port: opts.port, what: `zone ${this.zone}` };
  }

  #now(): number {
    return this.#opts.now ? this.#opts.now() : Math.floor(Date.now() / 1000);
  }

  #exchange(msg: Buffer): Promise<Buffer> {
    return exchangeTcp(this.#ep, msg, this.#opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  }

  async lookup(names: readonly string[], types: readonly RecordType[]): Promise<DnsRecord[]> {
    const out: DnsRecord[] = [];
    for (const raw of names) {
      const name = normalizeName(raw);
      for (const type of types) {
        const r = await this.#query(name, type);
        if (r) out.push(r);
      }
    }
    return out;
  }

  async #query(name: string, type: RecordType): Promise<DnsRecord | undefined> {
    const id = randomInt(0, 65536);
    const msg = packet.encode({ id, type: 'query', flags: 0, questions: [{ name, type, class: 'IN' }] });
    const reply = await this.#exchange(msg);
    const rcode = reply[3]! & 0x0f;
    if (rcode === 3) return undefined; // NXDOMAIN
    if (rcode !== 0)
      throw new UserError(
        `the DNS server ${this.#ep.host}:${this.#ep.port} answered ${RCODES[rcode] ?? rcode} to a query for ${name} ${type}`,
        `check that it is authoritative for zone ${this.zone} and answers queries from this machine (allow-query)`,
      );
    const decoded = packet.decode(reply);
    if (decoded.id !== id) throw new UserError(`the DNS server ${this.#ep.host}:${this.#ep.port} answered another query (id mismatch)`, 'try again');
    const answers = (decoded.answers ?? []).filter((a) => normalizeName(a.name) === name && a.type === type);
    if (answers.length === 0) return undefined;
    const values = answers.map((a) => {
      const data = (a as { data: unknown }).data;
      if (type === 'TXT') return (Array.isArray(data) ? data : [data]).map((d) => (Buffer.isBuffer(d) ? d.toString('utf8') : String(d))).join('');
      return normalizeValue(type, String(data));
    });
    return { name, type, ttl: (answers[0] as { ttl?: number }).ttl ?? 0, values: [...new Set(values)].sort() };
  }

  async replace(rawName: string, type: RecordType, ttl: number, values: readonly string[]): Promise<void> {
    const name = normalizeName(rawName);
    if (name !== this.zone && !name.endsWith(`.${this.zone}`))
      throw new UserError(`${name} is not in zone ${this.zone}`, `add a zone for it to the fleet file's dns: section`);
    if (type === 'CNAME' && values.length > 1) throw new UserError(`${name}: a CNAME has one value, got ${values.length}`);
    const id = randomInt(0, 65536);
    const authorities = [
      // Delete the whole record set: class ANY, TTL 0, no data. dns-packet has no encoder for an
      // A/AAAA record without data, so the type goes by number (UNKNOWN_n encodes raw data).
      { name, type: `UNKNOWN_${typeNumber(type)}`, class: 'ANY', ttl: 0, data: Buffer.alloc(0) },
      ...[...new Set(values)].sort().map((v) => ({ name, type, class: 'IN', ttl, data: rdataOf(type, v) })),
    ] as packet.Answer[];
    const msg = packet.encode({ id, type: 'query', flags: OPCODE_UPDATE, questions: [{ name: this.zone, type: 'SOA', class: 'IN' }], authorities });
    const signed = signMessage(msg, this.#opts.key, this.#now());
    const reply = await this.#exchange(signed.message);
    if (reply.readUInt16BE(0) !== id)
      throw new UserError(`the DNS server ${this.#ep.host}:${this.#ep.port} answered another message (id mismatch)`, 'try again');
    const rcode = reply[3]! & 0x0f;
    if (rcode !== 0) throw this.#updateError(rcode, reply, `${name} ${type}`);
    const check = verifyReply(reply, this.#opts.key, signed.mac, this.#now());
    if (!check.ok)
      throw new UserError(
        `the DNS server ${this.#ep.host}:${this.#ep.port} applied the update of ${name} ${type}, but its reply's TSIG signature did not verify (${check.reason})`,
        'the reply may not come from the server that holds the key: check the network path to it, then run the command again and compare with dig',
      );
  }

  #updateError(rcode: number, reply: Buffer, what: string): UserError {
    const k = this.#opts.key;
    const where = `${this.#ep.host}:${this.#ep.port}`;
    const keyRef = `key "${k.name}" (${k.algorithm})`;
    let tsig: ReturnType<typeof readTsig>;
    try {
      tsig = readTsig(reply);
    } catch {
      tsig = undefined;
    }
    const tsigError = tsig?.error ? TSIG_ERRORS[tsig.error] : undefined;
    const head = `the DNS server ${where} refused the update of ${what} in zone ${this.zone}`;
    if (tsigError === 'BADKEY')
      return new UserError(
        `${head}: it does not know ${keyRef} (BADKEY)`,
        `the key name and algorithm in the fleet file's dns: ${this.zone} must match a key in the server's configuration (named.conf: key "${k.name}" { algorithm ${k.algorithm}; … })`,
      );
    if (tsigError === 'BADSIG')
      return new UserError(
        `${head}: the signature made with ${keyRef} did not verify (BADSIG)`,
        `the secret ${k.secret.name} does not match the server's key "${k.name}": set it to the key's base64 secret (slipway secret set ${k.secret.name})`,
      );
    if (tsigError === 'BADTIME') {
      const serverTime = tsig && tsig.other.length === 6 ? tsig.other.readUIntBE(0, 6) : tsig?.timeSigned;
      const skew = serverTime ? ` (this machine's clock is ${this.#now() - serverTime} s off the server's)` : '';
      return new UserError(
        `${head}: the signature time is outside the allowed window (BADTIME)${skew}`,
        `fix the clock skew: synchronise the clocks of this machine and the DNS server (NTP)`,
      );
    }
    if (rcode === 9)
      return new UserError(
        `${head}: NOTAUTH`,
        `the server is not the primary for ${this.zone}, or it does not take ${keyRef}: point \`server:\` at the zone's primary server`,
      );
    if (rcode === 5)
      return new UserError(
        `${head}: REFUSED`,
        `the zone does not allow updates signed with ${keyRef}: add allow-update { key "${k.name}"; } (or an update-policy grant) to the zone in named.conf`,
      );
    if (rcode === 10) return new UserError(`${head}: NOTZONE`, `the name is outside the zone; check the fleet file's dns: zones`);
    return new UserError(`${head}: ${RCODES[rcode] ?? `rcode ${rcode}`}`, `see the DNS server's log for zone ${this.zone}`);
  }
}

function typeNumber(type: RecordType): number {
  return { A: 1, CNAME: 5, TXT: 16, AAAA: 28 }[type];
}
