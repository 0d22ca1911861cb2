// check: every rule over a fleet and its desired state, as sorted Findings. Pure; each rule
// lives in its own check-*.ts file and is listed here.
import type { Fleet } from '../config/fleet.ts';
import type { DesiredState } from './desired.ts';
import type { CheckRule } from './check-context.ts';
import { checkCrossEnvReferences } from './check-cross-env.ts';
import { checkDuplicateDomains, checkDuplicateNames } from './check-duplicates.ts';
import { checkSharedInstances } from './check-isolation.ts';
import { checkMemoryBudget, checkMissingMemoryLimit } from './check-memory.ts';
import { checkCrossServer, checkSingletons } from './check-placement.ts';
import { checkProtectedHealth, checkRateLimitSupport, checkRouteAuth } from './check-web.ts';
import { sortFindings, type Finding } from './finding.ts';

export const CHECK_RULES: readonly CheckRule[] = [
  checkDuplicateNames,
  checkDuplicateDomains,
  checkCrossEnvReferences,
  checkCrossServer,
  checkSingletons,
  checkMemoryBudget,
  checkMissingMemoryLimit,
  checkSharedInstances,
  checkProtectedHealth,
  checkRouteAuth,
  checkRateLimitSupport,
];

export function check(fleet: Fleet, desired: DesiredState): Finding[] {
  return sortFindings(CHECK_RULES.flatMap((rule) => rule({ fleet, desired })));
}
