// API tokens: `slp_` + 32 random bytes (base64url), shown once when created and stored only as
// sha256, with a name, a role and optionally the environments the token is limited to. Sent as
// `Authorization: Bearer slp_…`; CI uses them where a browser would use a session.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { UserError } from '../../diag/errors.ts';
import type { FileStore } from '../store/file-store.ts';
import { isName } from '../names.ts';
import { ROLES, type Role } from './authorize.ts';
import { randomSecret, sha256Hex } from './digest.ts';

export const TOKEN_PREFIX = 'slp_';
const TOKEN_FORMAT = /^slp_[A-Za-z0-9_-]{43}$/;
const DOC = 'tokens';

const tokenRecord = z.object({
  id: z.string(),
  name: z.string(),
  role: z.enum(ROLES),
  envs: z.array(z.string()).optional(),
  hash: z.string(),
  createdAt: z.string(),
  createdBy: z.string(),
});
type TokenRecord = z.infer<typeof tokenRecord>;
const tokensDoc = z.object({ tokens: z.array(tokenRecord) });
type TokensDoc = z.infer<typeof tokensDoc>;

/** A token as the API lists it: never its secret or hash. */
export interface TokenView {
  id: string;
  name: string;
  role: Role;
  envs?: string[];
  createdAt: string;
  createdBy: string;
}

export interface NewToken {
  name: string;
  role: Role;
  envs?: string[];
  createdBy: string;
}

export class Tokens {
  constructor(
    private readonly store: FileStore,
    private readonly opts: { now: () => number },
  ) {}

  /** Creates a token; its secret is in the result and nowhere else, ever again. */
  async create(input: NewToken): Promise<TokenView & { token: string }> {
    if (!isName(input.name)) throw new UserError(`invalid token name ${JSON.stringify(input.name)}`, 'use lower-case letters, digits and dashes (at most 63)');
    const bad = input.envs?.find((e) => !isName(e));
    if (bad !== undefined) throw new UserError(`invalid environment name ${JSON.stringify(bad)}`, 'name environments as the fleet file does');
    if (input.envs !== undefined && input.envs.length === 0)
      throw new UserError('a token limited to no environment could do nothing', 'leave envs out, or name at least one');
    const token = `${TOKEN_PREFIX}${randomSecret(32)}`;
    const record: TokenRecord = {
      id: randomBytes(8).toString('hex'),
      name: input.name,
      role: input.role,
      ...(input.envs ? { envs: [...new Set(input.envs)] } : {}),
      hash: sha256Hex(token),
      createdAt: new Date(this.opts.now()).toISOString(),
      createdBy: input.createdBy,
    };
    await this.store.update<TokensDoc>(DOC, (cur) => {
      const doc = parseDoc(cur);
      if (doc.tokens.some((t) => t.name === input.name))
        throw new UserError(`a token named ${input.name} already exists`, 'pick another name, or delete the old token first');
      return { tokens: [...doc.tokens, record] };
    });
    return { ...view(record), token };
  }

  /** The token whose secret this is, or undefined. */
  async lookup(token: string): Promise<TokenView | undefined> {
    if (!TOKEN_FORMAT.test(token)) return undefined;
    const hash = sha256Hex(token);
    const r = parseDoc(await this.store.read(DOC)).tokens.find((t) => t.hash === hash);
    return r && view(r);
  }

  async list(): Promise<TokenView[]> {
    return parseDoc(await this.store.read(DOC)).tokens.map(view);
  }

  /** Deletes the token `id`; false when there is none. */
  async delete(id: string): Promise<boolean> {
    let found = false;
    await this.store.update<TokensDoc>(DOC, (cur) => {
      const doc = parseDoc(cur);
      found = doc.tokens.some((t) => t.id === id);
      return { tokens: doc.tokens.filter((t) => t.id !== id) };
    });
    return found;
  }
}

function parseDoc(raw: unknown): TokensDoc {
  if (raw === undefined) return { tokens: [] };
  const r = tokensDoc.safeParse(raw);
  if (!r.success) throw new UserError("the control plane's tokens document is malformed", 'restore tokens.json from a backup');
  return r.data;
}

function view(t: TokenRecord): TokenView {
  return { id: t.id, name: t.name, role: t.role, ...(t.envs ? { envs: t.envs } : {}), createdAt: t.createdAt, createdBy: t.createdBy };
}
