// An email notifier over SMTP, with nodemailer. Host, port, from and to; TLS as on the wire (port
// 465 means TLS from the start, others upgrade with STARTTLS when the server offers it, or must
// when `requireTLS`); optional login. The password is a Secret: it is revealed only into the
// transport of one send (closed after it), nodemailer's logger stays off, and an error never
// shows it.
import nodemailer from 'nodemailer';
import type { Secret } from '../../util/secret.ts';
import { alertSubject, alertText, type Notifier } from './notifier.ts';

export interface EmailNotifierOptions {
  name?: string;
  host: string;
  port: number;
  /** TLS from the first byte (port 465); default: port === 465. */
  secure?: boolean;
  /** Refuse to send unless STARTTLS succeeds. */
  requireTLS?: boolean;
  /** Never upgrade with STARTTLS (a local test server only). */
  ignoreTLS?: boolean;
  from: string;
  to: string[];
  auth?: { user: string; pass: Secret };
  /** Put before each subject; "[slipway]" unless given. */
  subjectPrefix?: string;
  /** Limit for connecting, the greeting and each reply; 10 s unless given. */
  timeoutMs?: number;
}

export function createEmailNotifier(opts: EmailNotifierOptions): Notifier {
  const name = opts.name ?? 'email';
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const prefix = opts.subjectPrefix ?? '[slipway]';
  const redact = (text: string): string => {
    const pass = opts.auth?.pass.reveal();
    return pass ? text.split(pass).join('[redacted]') : text;
  };
  return {
    name,
    async send(t) {
      const transport = nodemailer.createTransport({
        host: opts.host,
        port: opts.port,
        secure: opts.secure ?? opts.port === 465,
        requireTLS: opts.requireTLS ?? false,
        ignoreTLS: opts.ignoreTLS ?? false,
        auth: opts.auth ? { user: opts.auth.user, pass: opts.auth.pass.reveal() } : undefined,
        connectionTimeout: timeoutMs,
        greetingTimeout: timeoutMs,
        socketTimeout: timeoutMs,
        logger: false,
        debug: false,
      });
      try {
        await transport.sendMail({
          from: opts.from,
          to: opts.to,
          subject: `${prefix} ${alertSubject(t)}`.trim(),
          text: `${alertText(t)}\n`,
        });
      } catch (e) {
        const err = e as Error & { code?: string };
        throw new Error(`email ${name} via ${opts.host}:${opts.port}: ${redact(err.message)}${err.code ? ` (${err.code})` : ''}`);
      } finally {
        transport.close();
      }
    },
  };
}
