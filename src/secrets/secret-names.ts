// Which secret names the stores accept, and the names Slipway generates itself (database
// passwords `pg/…`, service superusers `slipway/…`): those live on the servers only, so a value in
// the repository's file can never shadow the password a database was created with. Pure.
import { UserError } from '../diag/errors.ts';

const NAME = /^[A-Za-z0-9._/-]+$/;
const GENERATED = /^(pg|slipway)\//;

/** Throws a UserError for a name the stores cannot hold. */
export function checkSecretName(name: string): void {
  if (!NAME.test(name)) throw new UserError(`invalid secret name "${name}"`, 'use letters, digits, ".", "_", "-" and "/"');
}

/** True for the names Slipway generates and keeps on the servers (`pg/…`, `slipway/…`). */
export function isGeneratedSecret(name: string): boolean {
  return GENERATED.test(name);
}
