// GET /api/envs/ENV/apps/APP/logs?process=web&tail=200&q=TEXT: the app's logs as server-sent
// events (`event: line`, data {process, container, text}), the last `tail` lines of each running
// container first, then new ones until the client goes (the follow is stopped: the docker log
// streams are destroyed and the session closed). `q` keeps the lines that contain it, whatever
// the case. Viewer role. Nothing to follow (no running container) is a JSON error, not a stream.
import type { Hono } from 'hono';
import { type ApiEnv, type ApiServices, nameParam, note, noteAction, principalOf } from '../api-context.ts';
import { authorize } from '../auth/authorize.ts';
import { ApiError, answerError } from '../errors.ts';
import type { LiveLogLine, LivePort } from '../live/live-port.ts';
import { authenticate } from '../middleware/authenticate.ts';
import { isName } from '../names.ts';
import { aborted, type SseOptions, type SseSink, sseHead, sseResponse } from './live-sse.ts';

export const DEFAULT_TAIL = 200;
export const MAX_TAIL = 5000;
const MAX_QUERY = 200;

export function liveLogsRoutes(app: Hono<ApiEnv>, s: ApiServices, d: { port: LivePort; sse: SseOptions }): void {
  const auth = authenticate(s);

  app.get('/api/envs/:env/apps/:app/logs', noteAction('logs'), auth, async (c) => {
    const env = nameParam(c, 'env');
    const appName = nameParam(c, 'app');
    note(c, { env, app: appName });
    const info = await s.ops.environment(env);
    if (!info) throw new ApiError(404, `no environment ${env}`, 'GET /api/fleet lists the environments');
    if (!info.apps.includes(appName)) throw new ApiError(404, `${env} has no app ${appName}`, `its apps: ${info.apps.join(', ') || 'none'}`);
    const decision = authorize(principalOf(c), 'view', env, info);
    if (!decision.ok) throw new ApiError(403, decision.reason, decision.hint);
    const proc = c.req.query('process');
    if (proc !== undefined && !isName(proc)) throw new ApiError(400, 'invalid process name', 'names are lower-case letters, digits and dashes');
    const tailText = c.req.query('tail');
    if (tailText !== undefined && !/^\d{1,6}$/.test(tailText)) throw new ApiError(400, 'tail is not a number of lines', `give 0..${MAX_TAIL}`);
    const tail = Math.min(tailText === undefined ? DEFAULT_TAIL : Number(tailText), MAX_TAIL);
    const q = c.req.query('q') ?? '';
    if (q.length > MAX_QUERY) throw new ApiError(400, 'the search text is too long', `at most ${MAX_QUERY} characters`);
    const needle = q.toLowerCase();
    // Nothing is followed for HEAD (its body is never read, so the follow would never stop).
    if (c.req.method === 'HEAD') return sseHead(c);

    // The follow starts before the stream: a failure before it is ready is answered as JSON.
    const follow = new AbortController();
    let sink: SseSink | undefined;
    const early: [string, unknown][] = [];
    const emit = (event: string, data: unknown) => (sink ? sink.send(event, data) : early.push([event, data]));
    let ready!: () => void;
    const isReady = new Promise<void>((r) => (ready = r));
    const following = d.port.followLogs(
      { app: appName, env, tail, ...(proc !== undefined ? { process: proc } : {}) },
      {
        onReady: ready,
        onLine: (l: LiveLogLine) => {
          if (needle && !l.text.toLowerCase().includes(needle)) return;
          if (early.length < MAX_TAIL * 4 || sink) emit('line', l);
        },
        onInfo: (text) => emit('info', { text }),
      },
      follow.signal,
    );
    following.catch(() => undefined);
    // A client that leaves before the stream begins stops the follow too.
    const request = c.req.raw.signal;
    const leave = () => follow.abort();
    request?.addEventListener('abort', leave, { once: true });
    try {
      await Promise.race([isReady, following]);
    } catch (e) {
      request?.removeEventListener('abort', leave);
      throw e;
    }

    return sseResponse(c, d.sse, async (out, signal) => {
      sink = out;
      for (const [event, data] of early.splice(0)) out.send(event, data);
      const stop = () => follow.abort();
      signal.addEventListener('abort', stop, { once: true });
      try {
        // The port ends the follow soon after it is aborted; the stream does not wait for that.
        await Promise.race([
          following.then(
            () => out.send('end', { reason: 'the follow ended' }),
            (e: unknown) => out.send('error', { error: firstLine(e), hint: 'reload to follow again' }),
          ),
          aborted(signal),
        ]);
      } finally {
        signal.removeEventListener('abort', stop);
        request?.removeEventListener('abort', leave);
        follow.abort();
      }
    });
  });
}

/** What the error boundary would answer, first line only (never a stack, nor a command's output). */
function firstLine(e: unknown): string {
  return answerError(e).body.error.split('\n')[0] ?? 'failed';
}
