// Run-time errors raised by DockerEngine implementations. Every engine failure names the
// server it happened on; none of them ever carries an env value or other secret.

/** Any failure talking to a Docker engine, wrapped with the server name and operation. */
export class EngineError extends Error {
  override readonly name: string = 'EngineError';
  constructor(
    readonly server: string,
    /** Port method that failed, e.g. `createContainer`. */
    readonly op: string,
    /** What was acted on (container/network/volume/image name); never a secret. */
    readonly target: string | undefined,
    readonly detail: string,
    /** HTTP status from the Engine API when there was one (404 = not found, 409 = conflict). */
    readonly statusCode?: number,
  ) {
    super(`${server}: ${op}${target ? ` ${target}` : ''} failed: ${detail}`);
  }
  get notFound(): boolean {
    return this.statusCode === 404;
  }
  get conflict(): boolean {
    return this.statusCode === 409;
  }
}

/** A command run in a container exited non-zero (only raised when the caller asked `check`). */
export class ExecError extends Error {
  override readonly name: string = 'ExecError';
  constructor(
    readonly argv: readonly string[],
    /** Server name, plus the container: `web1/app-prod-web-1-r3`. */
    readonly host: string,
    readonly exitCode: number,
    readonly stderr: string,
  ) {
    const tail = stderr.trim().split('\n').slice(-5).join('\n');
    super(`${host}: ${JSON.stringify(argv)} exited ${exitCode}${tail ? `: ${tail}` : ''}`);
  }
}

/** An image build failed; carries the last lines of the build log. */
export class BuildError extends EngineError {
  override readonly name: string = 'BuildError';
  constructor(
    server: string,
    readonly tag: string,
    readonly logTail: string[],
    detail: string,
  ) {
    super(server, 'buildImage', tag, `${detail}\n${logTail.join('\n')}`);
  }
}

/** True when `err` is an EngineError for a missing object (404). */
export function isNotFound(err: unknown): boolean {
  return err instanceof EngineError && err.notFound;
}
