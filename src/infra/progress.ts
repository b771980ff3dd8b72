/**
 * Progress of slow one-time steps (building the Temporal CLI, initialising PostgreSQL, applying migrations),
 * so a first run never looks like a hang. Interactive commands print to the console: on a TTY an
 * elapsed-time counter on one line, otherwise one line at the start and one at the end. The worker logs
 * the same two events as JSON through its logger instead.
 */
import type { Logger } from './logger';

/** Reports a slow step: what it is, how long it usually takes, and how long it took. */
export interface Progress {
  /**
   * Runs `fn`, announcing `what` (with `usually`, e.g. "5-10 min", when known) before and the time it took
   * after; a failure is announced too, and rethrown.
   */
  step<T>(what: string, usually: string | undefined, fn: () => Promise<T>): Promise<T>;
}

/** Human form of a duration: `0.4 s`, `12 s`, `6 min 3 s`. */
export function formatElapsed(ms: number): string {
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

/** A writable the console progress prints to (process.stderr, or a test's capture). */
export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

const SPINNER = ['|', '/', '-', '\\'];

/**
 * Console progress on `stream` (default stderr), lines prefixed with `prefix`. On a TTY the running step
 * shows a spinner and its elapsed time, redrawn every 250 ms; without one, exactly one line when it starts
 * and one when it ends.
 */
export function consoleProgress(
  prefix = 'readiness',
  stream: ProgressStream = process.stderr,
  now: () => number = Date.now,
): Progress {
  return {
    async step(what, usually, fn) {
      const started = now();
      const head = `${prefix}: ${what}${usually ? ` (usually ${usually})` : ''}`;
      let timer: NodeJS.Timeout | undefined;
      if (stream.isTTY) {
        let frame = 0;
        const draw = () =>
          stream.write(`\r\x1b[K${head} ${SPINNER[frame++ % SPINNER.length]} ${formatElapsed(now() - started)}`);
        draw();
        timer = setInterval(draw, 250);
        timer.unref();
      } else {
        stream.write(`${head}...\n`);
      }
      const end = (line: string) => {
        if (timer) clearInterval(timer);
        stream.write(`${stream.isTTY ? '\r\x1b[K' : ''}${prefix}: ${line}\n`);
      };
      try {
        const result = await fn();
        end(`${what}: done in ${formatElapsed(now() - started)}`);
        return result;
      } catch (err) {
        end(`${what}: failed after ${formatElapsed(now() - started)}`);
        throw err;
      }
    },
  };
}

/** Progress as two JSON log lines per step (info), for the worker whose stderr is a log stream. */
export function logProgress(logger: Logger): Progress {
  return {
    async step(what, usually, fn) {
      const started = Date.now();
      logger.info({ step: what, usually }, `${what}...`);
      try {
        const result = await fn();
        logger.info({ step: what, durationMs: Date.now() - started }, `${what}: done`);
        return result;
      } catch (err) {
        logger.warn({ step: what, durationMs: Date.now() - started }, `${what}: failed`);
        throw err;
      }
    },
  };
}

/** No output: for library callers that did not ask for progress. */
export const silentProgress: Progress = { step: (_what, _usually, fn) => fn() };
