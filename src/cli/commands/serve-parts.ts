// The parts `slipway serve` runs beside its core API, in order. Each factory is imported only
// when serve starts (the CLI's other commands never load the server's modules).
import type { ServePartFactory } from '../../server/serve-part.ts';

export function servePartFactories(): ServePartFactory[] {
  return [];
}
