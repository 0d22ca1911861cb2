// check: every rule over a fleet and its desired state, as sorted Findings. Pure; each rule
// lives in its own check-*.ts file and is listed here.
import type { Fleet } from '../../config/fleet.ts';
import type { DesiredState } from '../desire/desired.ts';
import type { CheckRule } from './context.ts';
import { checkOomOrder, checkPrivileged } from './container.ts';
import { checkCrossEnvReferences } from './cross-env.ts';
import { checkDockerSocket } from './host-binds.ts';
import { checkDuplicateDomains, checkDuplicateNames } from './duplicates.ts';
import { checkSharedInstances } from './isolation.ts';
import { checkRedisSharedKeys } from './redis-keys.ts';
import { checkMemoryBudget, checkMissingMemoryLimit } from './memory.ts';
import { checkAmbiguousNames, checkSharedExternals } from './names.ts';
import { checkCrossServer, checkSingletons } from './placement.ts';
import { checkProtectedHealth, checkRateLimitSupport, checkRouteAuth } from './web.ts';
import { sortFindings, type Finding } from './finding.ts';
import { checkDnsAddresses, checkTls } from './tls.ts';

export const CHECK_RULES: readonly CheckRule[] = [
  checkDuplicateNames,
  checkDuplicateDomains,
  checkCrossEnvReferences,
  checkCrossServer,
  checkSingletons,
  checkMemoryBudget,
  checkMissingMemoryLimit,
  checkSharedInstances,
  checkRedisSharedKeys,
  checkProtectedHealth,
  checkRouteAuth,
  checkRateLimitSupport,
  checkPrivileged,
  checkOomOrder,
  checkDockerSocket,
  checkSharedExternals,
  checkAmbiguousNames,
  checkTls,
  checkDnsAddresses,
];

export function check(fleet: Fleet, desired: DesiredState): Finding[] {
  return sortFindings(CHECK_RULES.flatMap((rule) => rule({ fleet, desired })));
}
