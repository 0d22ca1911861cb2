// A generic webhook notifier: POSTs JSON that Slack (and Mattermost, Rocket.Chat, Discord's
// /slack endpoint) shows as a message, `{ "text": ... }`, with the alert's structured fields
// beside it for anything else that reads it. The URL is a secret (Slack's carries its token): only
// its host ever appears in an error.
import type { Secret } from '../../util/secret.ts';
import type { AlertTransition } from './alert-evaluator.ts';
import { alertText, type Notifier } from './notifier.ts';

export interface WebhookNotifierOptions {
  name?: string;
  url: Secret;
  /** Per-request limit; 10 s unless given. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** The JSON body posted for one transition. */
export function webhookBody(t: AlertTransition) {
  return {
    text: alertText(t),
    status: t.status,
    alert: t.key,
    rule: t.rule,
    severity: t.severity,
    title: t.title,
    detail: t.detail,
    labels: t.labels,
    since: new Date(t.since).toISOString(),
    at: new Date(t.at).toISOString(),
  };
}

export function createWebhookNotifier(opts: WebhookNotifierOptions): Notifier {
  const doFetch = opts.fetch ?? fetch;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const name = opts.name ?? 'webhook';
  let host = 'the webhook';
  try {
    host = new URL(opts.url.reveal()).host;
  } catch {
    // reported on send
  }
  const fail = (why: string): Error => new Error(`webhook ${name} (${host}): ${why.split(opts.url.reveal()).join('[redacted]')}`);
  return {
    name,
    async send(t) {
      let url: URL;
      try {
        url = new URL(opts.url.reveal());
      } catch {
        throw fail('the URL is not valid; give a full https:// URL');
      }
      let res: Response;
      try {
        res = await doFetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(webhookBody(t)),
          signal: AbortSignal.timeout(timeoutMs),
          redirect: 'error',
        });
      } catch (e) {
        const err = e as Error & { cause?: { code?: string; message?: string } };
        const why = err.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (err.cause?.code ?? err.cause?.message ?? err.message);
        throw fail(why);
      }
      await res.body?.cancel();
      if (!res.ok) throw fail(`answered HTTP ${res.status}`);
    },
  };
}
