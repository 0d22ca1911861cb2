// The dashboard's static assets (one stylesheet, one script) with a content hash in their names,
// so they can be cached for a year: /assets/app.HASH.css and /assets/app.HASH.js.
import { createHash } from 'node:crypto';
import { APP_CSS } from './app-css.ts';
import { APP_JS } from './app-js.ts';

export interface Asset {
  /** The URL path, with the content hash. */
  path: string;
  contentType: string;
  body: string;
}

export interface WebAssets {
  css: Asset;
  js: Asset;
}

function hashed(name: string, ext: string, contentType: string, body: string): Asset {
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
  return { path: `/assets/${name}.${hash}.${ext}`, contentType, body };
}

/** Builds the asset table (called once per mount; no module-level state). */
export function webAssets(): WebAssets {
  return {
    css: hashed('app', 'css', 'text/css; charset=utf-8', APP_CSS),
    js: hashed('app', 'js', 'text/javascript; charset=utf-8', APP_JS),
  };
}
