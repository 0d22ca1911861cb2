// The dashboard part of `slipway serve`: the web pages (src/web) on the same app as the API (their
// paths are outside /api, so the order of parts does not matter). The pages read the API in
// process as the visitor, so they need nothing but the app and the clock; no background work.
import { mountWeb } from '../../web/routes.ts';
import type { ServePartFactory } from '../serve-part.ts';

export const webPart: ServePartFactory = (input) => ({
  name: 'web',
  routes: (app) => void mountWeb(app, { now: input.now }),
});
