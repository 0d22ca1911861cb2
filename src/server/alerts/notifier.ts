// The Notifier port (a webhook, an email address) and the words of an alert message, shared by
// every notifier so that a mail and a chat message say the same thing.
import { formatSpan } from './alert-conditions.ts';
import type { AlertTransition } from './alert-evaluator.ts';

export interface Notifier {
  /** Names the notifier in failures and in the dispatcher's records (never a secret). */
  readonly name: string;
  /** Delivers one transition, or throws an Error whose message holds no secret. */
  send(t: AlertTransition): Promise<void>;
}

/** One line: "FIRING: memory above 80 % on vps1: 85 % used (…)" or "RESOLVED: memory above 80 % on vps1 (after 12 min)". */
export function alertSubject(t: AlertTransition): string {
  return t.status === 'firing' ? `FIRING: ${t.title}` : `RESOLVED: ${t.title} (after ${formatSpan(t.at - t.since)})`;
}

/** The message body: the subject line, then the figures, the time and the alert's labels. */
export function alertText(t: AlertTransition): string {
  const labels = Object.entries(t.labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  const lines =
    t.status === 'firing'
      ? [`FIRING (${t.severity}): ${t.title}`, t.detail, `since ${new Date(t.since).toISOString()}`]
      : [`RESOLVED: ${t.title}`, `it held from ${new Date(t.since).toISOString()} to ${new Date(t.at).toISOString()} (${formatSpan(t.at - t.since)})`];
  return [...lines, `alert ${t.key}${labels ? ` (${labels})` : ''}`].join('\n');
}
