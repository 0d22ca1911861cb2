// What the suites' own servers (BIND, pebble, Caddy, nginx on loopback) need: a free port, and a
// child stopped by its PID (SIGTERM, then SIGKILL after 5 s).
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** A free TCP port on `host` (loopback by default). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

/** Stops a child this process started, by its PID; resolves once it has exited. */
export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      try {
        process.kill(child.pid!, 'SIGKILL');
      } catch {}
    }, 5000);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    try {
      process.kill(child.pid!, 'SIGTERM');
    } catch {
      clearTimeout(t);
      resolve();
    }
  });
}
