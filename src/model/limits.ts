// Bounds the fleet file and compose import share.

/**
 * The most replicas one process may have. Slipway places every replica of a process on one
 * server and rolls them out one at a time; beyond this, the plan (and the server) is not what a
 * small team means, and a typo (`replicas: 5432`, an alias to a port) would plan thousands of
 * containers.
 */
export const MAX_REPLICAS = 100;
