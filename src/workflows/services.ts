// One shared service (Postgres, Redis, any image) on one server, as `up` applies it: created
// from desired state with its data volumes, generated superuser secrets and no published ports;
// started when stopped; recreated (stop-first: one data directory) when its spec changed. A Redis
// instance gets its ACL file before its first start (workflows/redis-acl.ts).
import { isNotFound } from '../engine/engine-errors.ts';
import type { ContainerSpec } from '../plan/desire/desired.ts';
import { UserError } from '../diag/errors.ts';
import { toCreateSpec } from './container-create.ts';
import { resolveEnv } from './env-resolve.ts';
import { generatePassword } from './postgres-setup.ts';
import type { ServerRun } from './server-run.ts';
import { LABELS } from '../model/labels.ts';
import { REDIS_ACL_FILE } from '../model/names.ts';
import { putRedisAclFile } from './redis-acl.ts';

export async function ensureService(run: ServerRun, spec: ContainerSpec): Promise<'created' | 'recreated' | 'unchanged' | 'started'> {
  const { engine } = run.conn;
  for (const v of Object.values(spec.env_vars)) {
    if (v.kind === 'secret' && v.name.startsWith('slipway/') && !(await run.store.getSecret(v.name)))
      await run.store.setSecret(v.name, generatePassword(v.name));
  }
  let outcome: 'created' | 'recreated' | 'unchanged' | 'started' = 'created';
  try {
    const info = await engine.inspectContainer(spec.name);
    if (info.labels[LABELS.specHash] === spec.specHash) {
      if (info.state === 'running') return 'unchanged';
      await engine.startContainer(info.id);
      return 'started';
    }
    run.report.info(`${spec.name}: spec changed, recreating (data stays in its volume)`);
    await engine.stopContainer(info.id, spec.stopTimeoutS);
    await engine.removeContainer(info.id, { force: true });
    outcome = 'recreated';
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  if (!(await engine.imageInspect(spec.image))) {
    throw new UserError(
      `${run.conn.server.name}: image ${spec.image} for service ${spec.service ?? spec.name} is not on the server`,
      'load it onto the server (docker save | docker load); on this machine scripts/images.sh builds postgres:15/17 and redis:7',
    );
  }
  const { env } = await resolveEnv(spec.env_vars, run.store, spec.name);
  const id = await engine.createContainer(toCreateSpec(spec, { env }));
  // Redis starts only with its ACL file (default user off): written into its data volume first.
  if (spec.command?.includes('--aclfile') && spec.command.includes(REDIS_ACL_FILE)) await putRedisAclFile(run, spec, id);
  await engine.startContainer(id);
  return outcome;
}
