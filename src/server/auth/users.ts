// Control-plane users: a name, a role and a bcrypt hash of the password (bcryptjs; cost 12 in
// production, lower only where a test injects it). Kept in the store's `users` document. Passwords
// are never logged, returned or put in an error.
import bcrypt from 'bcryptjs';
import { z } from 'zod';
import { UserError } from '../../diag/errors.ts';
import type { FileStore } from '../store/file-store.ts';
import { isName } from '../names.ts';
import { ROLES, type Role } from './authorize.ts';

export const PRODUCTION_BCRYPT_COST = 12;
/** bcrypt reads at most 72 bytes of a password; a longer one would be silently cut. */
export const MAX_PASSWORD_BYTES = 72;
export const MIN_PASSWORD_LENGTH = 12;

const DOC = 'users';

const userRecord = z.object({
  name: z.string(),
  role: z.enum(ROLES),
  passwordHash: z.string(),
  createdAt: z.string(),
});
export type UserRecord = z.infer<typeof userRecord>;
const usersDoc = z.object({ users: z.array(userRecord) });
type UsersDoc = z.infer<typeof usersDoc>;

/** A user as the API shows it: no hash. */
export interface UserView {
  name: string;
  role: Role;
  createdAt: string;
}

export interface UsersOptions {
  /** bcrypt cost; PRODUCTION_BCRYPT_COST unless a test injects a lower one. */
  cost?: number;
  now: () => number;
}

export class Users {
  readonly #cost: number;
  /** Compared against when the user does not exist, so an unknown name costs as long as a wrong password. */
  #dummyHash: Promise<string> | undefined;

  constructor(
    private readonly store: FileStore,
    private readonly opts: UsersOptions,
  ) {
    this.#cost = opts.cost ?? PRODUCTION_BCRYPT_COST;
  }

  async list(): Promise<UserView[]> {
    return (await this.#doc()).users.map(view);
  }

  async get(name: string): Promise<UserView | undefined> {
    const u = (await this.#doc()).users.find((r) => r.name === name);
    return u && view(u);
  }

  async createUser(input: { name: string; role: Role; password: string }): Promise<UserView> {
    if (!isName(input.name)) throw new UserError(`invalid user name ${JSON.stringify(input.name)}`, 'use lower-case letters, digits and dashes (at most 63)');
    checkPassword(input.password);
    const passwordHash = await bcrypt.hash(input.password, this.#cost);
    const record: UserRecord = { name: input.name, role: input.role, passwordHash, createdAt: new Date(this.opts.now()).toISOString() };
    await this.store.update<UsersDoc>(DOC, (cur) => {
      const doc = parseDoc(cur);
      if (doc.users.some((u) => u.name === input.name)) throw new UserError(`user ${input.name} already exists`, 'pick another name');
      return { users: [...doc.users, record] };
    });
    return view(record);
  }

  /** The user when `password` is theirs; `undefined` for a wrong password or an unknown user (in about the same time). */
  async verifyPassword(name: string, password: string): Promise<UserView | undefined> {
    const u = (await this.#doc()).users.find((r) => r.name === name);
    const tooLong = Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES;
    const hash = u?.passwordHash ?? (await this.#dummy());
    const match = await bcrypt.compare(tooLong ? '' : password, hash);
    return u && match && !tooLong ? view(u) : undefined;
  }

  /**
   * Creates the first admin when there are no users yet; returns false (and changes nothing) when
   * there are. The password comes from the caller (an argument), never from or into a log.
   */
  async bootstrapAdmin(name: string, password: string): Promise<boolean> {
    if ((await this.#doc()).users.length > 0) return false;
    await this.createUser({ name, role: 'admin', password });
    return true;
  }

  async #doc(): Promise<UsersDoc> {
    return parseDoc(await this.store.read(DOC));
  }

  #dummy(): Promise<string> {
    this.#dummyHash ??= bcrypt.hash('slipway-no-such-user', this.#cost);
    return this.#dummyHash;
  }
}

function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH)
    throw new UserError(`the password is too short (at least ${MIN_PASSWORD_LENGTH} characters)`, 'use a longer passphrase');
  if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES)
    throw new UserError(`the password is too long (bcrypt reads at most ${MAX_PASSWORD_BYTES} bytes)`, 'use a shorter passphrase');
}

function parseDoc(raw: unknown): UsersDoc {
  if (raw === undefined) return { users: [] };
  const r = usersDoc.safeParse(raw);
  if (!r.success) throw new UserError("the control plane's users document is malformed", 'restore users.json from a backup');
  return r.data;
}

function view(u: UserRecord): UserView {
  return { name: u.name, role: u.role, createdAt: u.createdAt };
}
