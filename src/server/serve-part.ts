// A part of the control plane beyond the core API: the dashboard, live jobs and logs, git
// webhooks, schedules, metrics and alerts. `slipway serve` builds each part from the same input
// (the fleet loader, the ops port, the store, the clock, secrets), lets it add routes to the app,
// and starts its background work after the server listens; stopping serve stops every part.
// Parts never import the CLI; they are composed in cli/commands/serve-parts.ts.
import type { Fleet } from '../config/fleet.ts';
import type { Connector } from '../engine/connection.ts';
import type { Output } from '../util/output.ts';
import type { Secret } from '../util/secret.ts';
import type { Hono } from 'hono';
import type { ApiEnv, ApiServices } from './api-context.ts';
import type { ControlPlaneOps } from './ops.ts';
import type { FileStore } from './store/file-store.ts';

export interface ServePartInput {
  /** The serve data directory (users, tokens, deliveries, schedule state…). */
  data: string;
  /** The fleet file, resolved. */
  file: string;
  /** Reads the fleet file afresh (edits are seen). */
  loadFleet: () => Promise<Fleet>;
  ops: ControlPlaneOps;
  store: FileStore;
  now: () => number;
  /** The CLI's environment (secrets identity, SLIPWAY_* settings). */
  env: Record<string, string | undefined>;
  cwd: string;
  /** An age identity file for the encrypted secrets files (`--identity`). */
  identity?: string;
  /** How to reach servers (tests inject one); default: the local socket or SSH. */
  connector?: Connector;
  /** Workflow progress and the part's own log lines (the control plane's log). */
  log: Output;
  /** The serve URL once listening (for links in notifications); undefined before. */
  url: () => string | undefined;
  /** Whether serve runs with --dev. */
  dev: boolean;
  /** A fleet-wide secret by name (`{ secret: NAME }` in the control plane's config), or undefined when unset. */
  secret: ControlPlaneSecret;
}

export interface ServePart {
  name: string;
  /** Adds routes after the core API's (they share its middleware: headers, body limit, audit on /api/*). */
  routes?(app: Hono<ApiEnv>, s: ApiServices): void;
  /** Starts background work once serve listens; returns how to stop it. */
  start?(): Promise<() => Promise<void>>;
}

export type ServePartFactory = (input: ServePartInput) => ServePart | Promise<ServePart>;

/** Resolves a `{ secret: NAME }` of the control plane's config (from the fleet's secrets), or undefined when unset. */
export type ControlPlaneSecret = (name: string) => Promise<Secret | undefined>;
