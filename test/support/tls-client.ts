// The TLS suites' client: one request to a simulated host's published port with the Host header
// (and SNI) of a domain, trusting only the CA given (pebble's root), and what came back: status,
// body, redirect, HSTS, and the peer certificate's serial and issuer. A fresh connection each
// time (agent: false), so a renewed certificate is seen at once. Plus a pair of host ports a
// suite can publish its proxy on without meeting another suite's.
import { type IncomingMessage, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { TLSSocket } from 'node:tls';

export interface Got {
  status: number;
  body: string;
  location?: string;
  hsts?: string;
  /** HTTPS only: the peer certificate's serial (lower case hex) and issuer CN. */
  serial?: string;
  issuer?: string;
}

export interface Target {
  ip: string;
  port: number;
  host: string;
  /** HTTPS: the only CA trusted. */
  ca?: string;
  path?: string;
}

export function fetchVia(scheme: 'http' | 'https', t: Target): Promise<Got> {
  return new Promise((resolve, reject) => {
    const opts = { host: t.ip, port: t.port, path: t.path ?? '/', headers: { Host: t.host }, agent: false as const, timeout: 10_000 };
    const done = (res: IncomingMessage, peer?: { serial: string; issuer?: string }) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body,
          ...(res.headers.location ? { location: res.headers.location } : {}),
          ...(res.headers['strict-transport-security'] ? { hsts: String(res.headers['strict-transport-security']) } : {}),
          ...(peer ? { serial: peer.serial, ...(peer.issuer ? { issuer: peer.issuer } : {}) } : {}),
        }),
      );
    };
    const req =
      scheme === 'https'
        ? httpsRequest({ ...opts, servername: t.host, ...(t.ca ? { ca: t.ca } : {}) }, (res) => {
            const c = (res.socket as TLSSocket).getPeerCertificate();
            done(res, { serial: (c.serialNumber ?? '').toLowerCase(), ...(c.issuer?.CN ? { issuer: String(c.issuer.CN) } : {}) });
          })
        : httpRequest(opts, (res) => done(res));
    req.on('timeout', () => req.destroy(new Error(`${scheme}://${t.host} via ${t.ip}:${t.port}: timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** HTTP and HTTPS host ports for one suite's proxy (20000–35999, even/odd pair), picked at random. */
export function suitePorts(): { http: number; https: number } {
  const http = 20_000 + 2 * Math.floor(Math.random() * 8000);
  return { http, https: http + 1 };
}
