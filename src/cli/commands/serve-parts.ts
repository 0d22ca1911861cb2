// The parts `slipway serve` runs beside its core API, in order. Each part's module is imported
// only when serve starts (the CLI's other commands never load the server's modules).
import type { ServePartFactory } from '../../server/serve-part.ts';

export function servePartFactories(): ServePartFactory[] {
  return [
    // The dashboard: server-rendered pages at /, one small script island, hashed assets.
    async (input) => (await import('../../server/parts/web-part.ts')).webPart(input),
    // Jobs (deploy, rollback, backup verify) with their steps over SSE, live logs, release history.
    async (input) => (await import('../../server/parts/live-part.ts')).liveServePart(input),
    // Scheduled backups, restore drills and certificate renewals; schedules, backups, certificates and locks to read.
    async (input) => (await import('../../server/parts/schedule-part.ts')).schedulePart(input),
    // POST /hooks/git from GitHub, GitLab and Gitea: fetch with the deploy key, deploy per environment; deliveries.
    async (input) => (await import('../../server/parts/webhook-part.ts')).webhookPart(input),
    // /metrics, /api/servers, /api/alerts, and the alert loop (notifications by webhook and mail).
    async (input) => (await import('../../server/parts/metrics-part.ts')).metricsPart()(input),
  ];
}
