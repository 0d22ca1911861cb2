// What a move under way forbids on its two servers. Between the commands of a move (`move` stops
// after a stage, or after the cutover for the rollback window) the environment lives on both
// servers, and only the move may change it there:
//   - before the cutover (phase `running`) or in a rollback left half done (`rolling-back`):
//     deploy, rollback, restore and down of the environment are refused on both servers (a
//     deploy on the source would not reach the target's copy; a restore would cut the
//     replication's source from under it);
//   - after the cutover (`cut-over`, the rollback window): the target serves, and a deploy or a
//     rollback there is allowed (a warning says `--rollback` returns to the source's release);
//     on the source, which only forwards and is the fallback, they are refused, as are restore
//     and down on either side (`--finish` removes it from the source).
// The move's own steps (its deploy of the target's workers, `--finish`'s down) pass `duringMove`.
import { UserError } from '../diag/errors.ts';
import { type MoveRecord, recordPath } from './move/move-record.ts';
import type { ServerRun } from './server-run.ts';

/** The actions a move under way may refuse. */
export const MOVE_GUARDED = new Set(['deploy', 'rollback', 'restore', 'down']);

const UNDER_WAY = new Set<MoveRecord['phase']>(['running', 'cut-over', 'rolling-back']);

/** Refuses `action` on `env` on this server while a move of it is under way (reads the record on this server's state). */
export async function refuseDuringMove(run: ServerRun, env: string, action: string): Promise<void> {
  if (!MOVE_GUARDED.has(action)) return;
  const rec = await run.store.readJson<MoveRecord>(recordPath(env));
  if (!rec || !UNDER_WAY.has(rec.phase)) return;
  const here = run.conn.server.name;
  const where = `${env} is being moved from ${rec.from} to ${rec.to}`;
  if (rec.phase === 'cut-over') {
    if (here === rec.to && (action === 'deploy' || action === 'rollback')) {
      run.report.warn(
        `${where}: ${rec.to} serves it until \`slipway move ${env} --finish\`; a \`--rollback\` of the move returns to the release ${rec.from} still has`,
      );
      return;
    }
    const hint =
      action === 'restore' || action === 'down'
        ? `end the move first: slipway move ${env} --finish (keep ${rec.to}) or slipway move ${env} --rollback (back to ${rec.from})`
        : `${rec.to} serves ${env} since ${rec.cutover?.at ?? 'the cutover'}: ${action} it there (set its server to ${rec.to} in the fleet file), or end the move first with slipway move ${env} --finish or --rollback`;
    throw new UserError(`${where}: ${action} of ${env} on ${here} is refused during the rollback window`, hint);
  }
  const stage = rec.phase === 'rolling-back' ? 'a rollback that did not finish' : `the move, before its cutover`;
  const hint =
    rec.phase === 'rolling-back'
      ? `finish the rollback first: slipway move ${env} --rollback`
      : `let it finish (slipway move ${env} --resume) or abandon it (slipway move ${env} --rollback), then ${action}; slipway move ${env} --status shows where it stands`;
  throw new UserError(`${where}: ${action} of ${env} on ${here} is refused during ${stage}`, hint);
}
