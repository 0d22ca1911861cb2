// Request bodies: JSON only, at most `maxBytes`. The declared Content-Length is checked first
// (413 before reading anything), then the bytes actually streamed are counted, since a chunked
// body declares no length (Hono's bodyLimit trusts a Content-Length when there is one, so this
// does not use it). Malformed JSON and schema mismatches are 400s that never echo the body,
// which may hold a password.
import type { z } from 'zod';
import { ApiError } from './errors.ts';

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** Throws 413 when the request declares a body over `maxBytes`, 400 when the declaration is not a number. */
export function checkDeclaredLength(req: Request, maxBytes: number): void {
  const declared = req.headers.get('content-length');
  if (declared === null) return;
  if (!/^\d{1,15}$/.test(declared.trim())) throw new ApiError(400, 'Content-Length is not a number', 'send a valid Content-Length, or none');
  if (Number(declared) > maxBytes) throw tooLarge(maxBytes);
}

/** The body parsed as JSON and checked by `schema`; an empty body is `{}`. */
export async function readJson<S extends z.ZodTypeAny>(req: Request, schema: S, maxBytes: number): Promise<z.infer<S>> {
  checkDeclaredLength(req, maxBytes);
  const bytes = await readCapped(req, maxBytes);
  let value: unknown = {};
  if (bytes.length > 0) {
    const type = req.headers.get('content-type') ?? '';
    if (!/^application\/([\w.+-]+\+)?json\s*(;|$)/i.test(type)) throw new ApiError(415, 'the body must be JSON', 'send it with Content-Type: application/json');
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw new ApiError(400, 'the body is not valid UTF-8', 'send JSON encoded as UTF-8');
    }
    try {
      value = JSON.parse(text);
    } catch {
      throw new ApiError(400, 'the body is not valid JSON', 'check the JSON syntax');
    }
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message));
    throw new ApiError(400, `invalid request body: ${issues.join('; ')}`, 'check the fields against the API');
  }
  return parsed.data;
}

async function readCapped(req: Request, maxBytes: number): Promise<Uint8Array> {
  if (!req.body) return new Uint8Array(0);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    let chunk: ReadableStreamReadResult<Uint8Array>;
    try {
      chunk = await reader.read();
    } catch {
      throw new ApiError(400, 'the request body could not be read', 'send the body again');
    }
    if (chunk.done) break;
    size += chunk.value.length;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(maxBytes);
    }
    chunks.push(chunk.value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function tooLarge(maxBytes: number): ApiError {
  return new ApiError(413, `the body is larger than ${maxBytes} bytes`, 'send a smaller body');
}
