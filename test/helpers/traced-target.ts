/**
 * Starts the OpenTelemetry-instrumented fixture service (test/fixtures/services/traced-service.cjs) in its own
 * process: `sampler` `parent` keeps what the caller sampled (every marked request is traced), `ratio` keeps a share
 * of traces whatever the caller said (partial sampling), `off` exports nothing. Its error lines go to `lokiUrl`.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { stopProcess } from '../../src/infra/process';

export interface TracedTarget {
  url: string;
  close(): Promise<void>;
}

export async function startTracedTarget(o: {
  service: string;
  /** OTLP/HTTP traces endpoint, e.g. http://127.0.0.1:4318/v1/traces. */
  otlpUrl: string;
  sampler: 'parent' | 'ratio' | 'off';
  ratio?: number;
  lokiUrl?: string;
}): Promise<TracedTarget> {
  const file = path.join(__dirname, '..', 'fixtures', 'services', 'traced-service.cjs');
  const child = spawn(process.execPath, [file], {
    env: { ...process.env, TRACED_SERVICE: JSON.stringify(o) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`traced service did not start:\n${output}`)), 20_000);
    child.stderr.on('data', (d) => (output += d));
    child.stdout.on('data', (d) => {
      output += d;
      const m = /listening (\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`traced service exited ${code}:\n${output}`));
    });
  });
  return { url: `http://127.0.0.1:${port}`, close: () => stopProcess(child, 'SIGTERM', 5_000) };
}
