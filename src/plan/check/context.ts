// The input every check rule gets, and the rule type. Rules are pure and independent.
import type { Fleet } from '../../config/fleet.ts';
import type { DesiredState } from '../desire/desired.ts';
import type { Finding } from './finding.ts';

export interface CheckContext {
  fleet: Fleet;
  desired: DesiredState;
}

export type CheckRule = (ctx: CheckContext) => Finding[];
