// The `move:` section of an environment: how `slipway move` tests and hands over the environment
// (test domains, smoke checks, the write pause's answer, the rollback window before --finish).
import { z } from 'zod';

export const envMoveSchema = z
  .object({
    // Prepended to each domain for the test hostnames served by the target before the cutover.
    test_prefix: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]*[-.]$/, 'expected a DNS label start ending in "-" or ".", e.g. "test-" or "test."')
      .optional(),
    // URL paths requested on every test hostname (each must answer 2xx) besides each process's health check.
    checks: z.array(z.string().regex(/^\//, 'expected a path starting with "/"')).optional(),
    // How long the environment must run on the target before `move --finish` removes it from the source.
    stable: z.string().optional(),
    // Seconds in the Retry-After of the 503 that writes get during the cutover's pause.
    retry_after: z.number().int().min(1, 'expected 1 to 600 seconds').max(600, 'expected 1 to 600 seconds').optional(),
    // What writes that arrive during the cutover's pause get: a 503 with Retry-After (the client
    // sends again), or `wait`: the proxy sends them to the target, whose web processes are paused
    // until the pause ends, and the client gets its answer then (up to 60 s).
    held_writes: z.union([z.literal(503), z.literal('503'), z.literal('wait')], { errorMap: () => ({ message: 'expected 503 or wait' }) }).optional(),
  })
  .strict();

export type RawEnvMove = z.infer<typeof envMoveSchema>;
