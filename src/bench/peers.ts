/**
 * The load tools a user might pick instead of readiness, run by `npm run bench` on the same loopback targets as
 * the engine, each in its own process under GNU time (its CPU seconds and peak RSS are its own, whatever language
 * it is written in). A peer that cannot be found or installed is reported as missing, with why: never skipped
 * silently.
 *
 * - Locust (MIT, PyPI): installed once into `.cache/locust-venv` (`pip install locust==2.36.2`), FastHttpUser,
 *   one process, headless, its statistics read from its CSV.
 * - k6: used when a k6 binary is at `.cache/bin/k6` or on PATH. The bench never fetches it: go.k6.io/k6 is
 *   AGPL-3.0, which this machine's package policy marks not-to-use.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** What a peer's run measured, in the shape of the engine's runner. */
export interface PeerResult {
  requests: number;
  errors: number;
  durationS: number;
  cpuUs: number;
  p50Ms: number;
  p99Ms: number;
  rssMb: number;
}

/** A peer found (its program) or missing (why). */
export type Peer = { name: string; version: string; bin: string } | { name: string; missing: string };

export const LOCUST_VERSION = '2.36.2';

/** The repository's cache directory (`.cache`, beside package.json). */
export const cacheDir = (root: string) => path.join(root, '.cache');

/** Locust from its venv, installing it there once; missing (with pip's last words) when that fails. */
export async function locustPeer(root: string, log: (line: string) => void): Promise<Peer> {
  const venv = path.join(cacheDir(root), 'locust-venv');
  const bin = path.join(venv, 'bin', 'locust');
  if (!existsSync(bin)) {
    log(`installing Locust ${LOCUST_VERSION} into ${venv} (once, about a minute)...`);
    try {
      await run('python3', ['-m', 'venv', venv]);
      await run(path.join(venv, 'bin', 'pip'), ['install', '--quiet', `locust==${LOCUST_VERSION}`], {
        maxBuffer: 1 << 24,
      });
    } catch (err) {
      const words = String((err as { stderr?: string }).stderr ?? (err as Error).message)
        .trim()
        .split('\n')
        .pop();
      return { name: 'locust', missing: `pip install locust==${LOCUST_VERSION} failed: ${words}` };
    }
  }
  const { stdout } = await run(bin, ['--version']).catch(() => ({ stdout: '' }));
  return { name: 'locust', version: stdout.trim().split(/\s+/)[1] ?? LOCUST_VERSION, bin };
}

/** k6 when a binary is there (`.cache/bin/k6`, else PATH); never installed by the bench. */
export async function k6Peer(root: string): Promise<Peer> {
  for (const bin of [path.join(cacheDir(root), 'bin', 'k6'), 'k6']) {
    try {
      const { stdout } = await run(bin, ['version']);
      return { name: 'k6', version: stdout.trim().split(/\s+/)[1] ?? '?', bin };
    } catch {
      /* next */
    }
  }
  return {
    name: 'k6',
    missing:
      "no k6 binary at .cache/bin/k6 or on PATH; the bench does not fetch it: go.k6.io/k6 is AGPL-3.0, marked not-to-use by this machine's package policy (put a k6 build there to compare)",
  };
}

/** Runs a command under GNU time: its exit, output, CPU time (µs, user + system) and peak RSS (MB). */
function timed(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ stdout: string; cpuUs: number; rssMb: number }> {
  return new Promise((resolve, reject) => {
    const c = spawn('/usr/bin/time', ['-f', '__time %U %S %M', cmd, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    let out = '';
    let err = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (err += d));
    c.on('exit', (code) => {
      const m = /__time ([\d.]+) ([\d.]+) (\d+)/.exec(err);
      if (code !== 0 || !m) return reject(new Error(`${cmd} exited ${code}: ${err.slice(-500)}`));
      resolve({ stdout: out, cpuUs: (Number(m[1]) + Number(m[2])) * 1e6, rssMb: Number(m[3]) / 1024 });
    });
  });
}

/** One Locust run: `users` FastHttpUsers (spawned over `rampS`), `thinkMs` between requests, `durationS` in all. */
export async function runLocust(
  peer: Extract<Peer, { bin: string }>,
  url: string,
  o: { users: number; durationS: number; thinkMs: number; rampS: number },
): Promise<PeerResult> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-locust-'));
  const file = path.join(dir, 'locustfile.py');
  writeFileSync(
    file,
    [
      'from locust import FastHttpUser, task, constant',
      'class User(FastHttpUser):',
      `    wait_time = constant(${o.thinkMs / 1000})`,
      '    @task',
      '    def get(self):',
      '        self.client.get("/x")',
      '',
    ].join('\n'),
  );
  const prefix = path.join(dir, 'stats');
  const spawnRate = o.rampS > 0 ? o.users / o.rampS : o.users;
  const t = await timed(peer.bin, [
    '-f',
    file,
    '--headless',
    '--only-summary',
    '--loglevel',
    'ERROR',
    '-u',
    String(o.users),
    '-r',
    String(spawnRate),
    '-t',
    `${o.durationS}s`,
    '--host',
    url,
    '--csv',
    prefix,
  ]);
  const csv = readFileSync(`${prefix}_stats.csv`, 'utf8').trim().split('\n');
  const head = csv[0]!.split(',').map((h) => h.replace(/"/g, ''));
  const row = csv
    .find((l) => l.includes('Aggregated'))!
    .split(',')
    .map((v) => v.replace(/"/g, ''));
  const col = (name: string) => Number(row[head.indexOf(name)]);
  const requests = col('Request Count');
  return {
    requests,
    errors: col('Failure Count'),
    durationS: requests / Math.max(1e-9, col('Requests/s')),
    cpuUs: t.cpuUs,
    p50Ms: col('50%'),
    p99Ms: col('99%'),
    rssMb: t.rssMb,
  };
}

/** One k6 run: `users` VUs (ramped over `rampS`), `thinkMs` between requests, `durationS` in all. */
export async function runK6(
  peer: Extract<Peer, { bin: string }>,
  url: string,
  o: { users: number; durationS: number; thinkMs: number; rampS: number },
): Promise<PeerResult> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-k6-'));
  const script = path.join(dir, 'script.js');
  const stages =
    o.rampS > 0
      ? `stages: [{ duration: '${o.rampS}s', target: ${o.users} }, { duration: '${Math.max(1, o.durationS - o.rampS)}s', target: ${o.users} }]`
      : `vus: ${o.users}, duration: '${o.durationS}s'`;
  writeFileSync(
    script,
    [
      "import http from 'k6/http';",
      "import { sleep } from 'k6';",
      `export const options = { ${stages}, discardResponseBodies: true, summaryTrendStats: ['p(50)', 'p(99)'] };`,
      'export default function () {',
      `  http.get('${url}/x');`,
      o.thinkMs > 0 ? `  sleep(${o.thinkMs / 1000});` : '',
      '}',
      '',
    ].join('\n'),
  );
  const summary = path.join(dir, 'summary.json');
  const t = await timed(peer.bin, ['run', '--quiet', '--no-usage-report', '--summary-export', summary, script]);
  const m = JSON.parse(readFileSync(summary, 'utf8')).metrics;
  const requests = m.http_reqs.count as number;
  return {
    requests,
    errors: Math.round((m.http_req_failed?.value ?? 0) * requests),
    durationS: requests / Math.max(1e-9, m.http_reqs.rate as number),
    cpuUs: t.cpuUs,
    p50Ms: m.http_req_duration['p(50)'],
    p99Ms: m.http_req_duration['p(99)'],
    rssMb: t.rssMb,
  };
}
