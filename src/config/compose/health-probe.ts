// The HTTP probe inside a compose healthcheck, if it is one: `curl -f http://localhost:3000/health`,
// `curl -f localhost:3000/health` (no scheme), `wget -q --spider http://127.0.0.1:8080/ping`.
// Slipway probes that path from outside the container, so no HTTP client is needed in the image.

const LOCAL_HOST = String.raw`(?:localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\])`;
/** A local URL, with or without a scheme; group 1 is the port, group 2 the path. */
const LOCAL_URL = new RegExp(String.raw`(?:^|[\s'"=(])(?:https?://)?${LOCAL_HOST}(?::(\d+))?(/[^\s"'|;&)]*)?(?=$|[\s"'|;&)])`, 'g');

/** `curl -f http://localhost:3000/health` → { port: 3000, path: '/health' }; undefined when not an HTTP probe. */
export function httpProbe(test: readonly string[]): { path: string; port?: number } | undefined {
  const args = test[0] === 'CMD' || test[0] === 'CMD-SHELL' ? test.slice(1) : test;
  const text = args.join(' ');
  if (!/(^|[\s/;&|(])(curl|wget)(\s|$)/.test(text)) return undefined;
  // `--noproxy localhost localhost:3000/health`: prefer the URL that has a port or a path.
  const matches = [...text.matchAll(LOCAL_URL)];
  const m = matches.find((x) => x[1] !== undefined || x[2] !== undefined) ?? matches.find((x) => /https?:\/\//.test(x[0]));
  if (!m) return undefined;
  return { path: m[2] || '/', ...(m[1] !== undefined ? { port: Number(m[1]) } : {}) };
}

/** True when a compose test disables health checking (`["NONE"]`, `NONE`). */
export function isDisabledTest(test: readonly string[]): boolean {
  return test[0] === 'NONE' || (test[0] === 'CMD-SHELL' && test.length === 2 && test[1]!.trim() === 'NONE');
}
