/**
 * Starts real monitoring components (Debian's prometheus, prometheus-alertmanager and exporters; Grafana Loki built by scripts/install-loki.sh) on
 * loopback ports with generated configs in a directory of the caller's choosing. Used by the tests (a
 * healthy stack and stacks with planted gaps) and usable by a dev stack; nothing here assumes a service
 * is already running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { request } from 'undici';
import { stringify } from 'yaml';
import { cacheBinDir } from '../../src/infra/paths';
import { freePort, stopProcess, waitFor } from '../../src/infra/process';

/** A started component. */
export interface Component {
  url: string;
  /** host:port it listens on. */
  address: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Finds a binary on PATH or in /usr/bin and /usr/sbin. */
export function findBinary(name: string): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/bin', '/usr/sbin', '/usr/local/bin']) {
    if (dir && existsSync(path.join(dir, name))) return path.join(dir, name);
  }
  return undefined;
}

async function ready(url: string): Promise<boolean> {
  const res = await request(url, { headersTimeout: 2_000, bodyTimeout: 2_000 });
  await res.body.dump();
  return res.statusCode === 200;
}

/** Spawns a component and waits until `readyPath` answers 200. */
async function launch(
  binary: string,
  args: string[],
  opts: {
    dir: string;
    name: string;
    port: number;
    readyPath: string;
    env?: NodeJS.ProcessEnv;
    readyTimeoutMs?: number;
  },
): Promise<Component> {
  const bin = path.isAbsolute(binary) ? binary : findBinary(binary);
  if (!bin || !existsSync(bin)) throw new Error(`${binary} not found: install it (apt-get install ${binary})`);
  const log = createWriteStream(path.join(opts.dir, `${opts.name}.log`));
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const address = `127.0.0.1:${opts.port}`;
  const url = `http://${address}`;
  const ok = await waitFor(
    async () => child.exitCode === null && (await ready(`${url}${opts.readyPath}`)),
    opts.readyTimeoutMs ?? 60_000,
    200,
  );
  if (!ok) {
    await stopProcess(child, 'SIGKILL');
    throw new Error(
      `${opts.name} did not become ready on ${url}${opts.readyPath}; see ${path.join(opts.dir, `${opts.name}.log`)}`,
    );
  }
  return { url, address, child, stop: () => stopProcess(child, 'SIGTERM', 5_000) };
}

export interface PrometheusOptions {
  dir: string;
  scrapeJobs?: Array<{ job: string; targets: string[]; metricsPath?: string; interval?: string }>;
  /** Rule files to write; `loaded: false` writes them but leaves them out of rule_files (the seed's gap). */
  ruleFiles?: Array<{ name: string; content: string }>;
  loadRules?: boolean;
  alertmanagers?: string[];
  retention?: string;
  /** Scrape and rule evaluation interval (tests: 1s). */
  interval?: string;
}

export async function startPrometheus(o: PrometheusOptions): Promise<Component> {
  const dir = path.join(o.dir, `prometheus-${Date.now().toString(36)}`);
  mkdirSync(path.join(dir, 'rules'), { recursive: true });
  const port = await freePort();
  for (const f of o.ruleFiles ?? []) writeFileSync(path.join(dir, 'rules', f.name), f.content);
  const interval = o.interval ?? '1s';
  const config = {
    global: { scrape_interval: interval, evaluation_interval: interval },
    ...(o.loadRules === false || !o.ruleFiles?.length ? {} : { rule_files: [path.join(dir, 'rules', '*.yml')] }),
    ...(o.alertmanagers?.length
      ? { alerting: { alertmanagers: [{ static_configs: [{ targets: o.alertmanagers }] }] } }
      : {}),
    scrape_configs: [
      { job_name: 'prometheus', static_configs: [{ targets: [`127.0.0.1:${port}`] }] },
      ...(o.scrapeJobs ?? []).map((j) => ({
        job_name: j.job,
        ...(j.metricsPath ? { metrics_path: j.metricsPath } : {}),
        ...(j.interval ? { scrape_interval: j.interval, scrape_timeout: j.interval } : {}),
        static_configs: [{ targets: j.targets }],
      })),
    ],
  };
  writeFileSync(path.join(dir, 'prometheus.yml'), stringify(config));
  return launch(
    'prometheus',
    [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      `--storage.tsdb.retention.time=${o.retention ?? '15d'}`,
      '--web.enable-lifecycle',
    ],
    { dir, name: 'prometheus', port, readyPath: '/-/ready' },
  );
}

export interface AlertmanagerOptions {
  dir: string;
  /** A webhook (host:port) the probe label is routed to, with no grouping delay. */
  probeWebhook?: string;
  /** Other receivers' webhooks (the default route); none: a receiver with no integration. */
  defaultWebhook?: string;
  groupWait?: string;
}

export async function startAlertmanager(o: AlertmanagerOptions): Promise<Component> {
  const dir = path.join(o.dir, `alertmanager-${Date.now().toString(36)}`);
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const config = {
    route: {
      receiver: 'default',
      group_by: ['alertname'],
      group_wait: o.groupWait ?? '1s',
      group_interval: '1s',
      repeat_interval: '1h',
      ...(o.probeWebhook
        ? {
            routes: [
              {
                receiver: 'readiness-probe',
                matchers: ['readiness_probe=~".+"'],
                group_wait: '0s',
                group_interval: '1s',
              },
            ],
          }
        : {}),
    },
    receivers: [
      {
        name: 'default',
        ...(o.defaultWebhook ? { webhook_configs: [{ url: `http://${o.defaultWebhook}/`, send_resolved: true }] } : {}),
      },
      ...(o.probeWebhook
        ? [{ name: 'readiness-probe', webhook_configs: [{ url: `http://${o.probeWebhook}/`, send_resolved: true }] }]
        : []),
    ],
  };
  writeFileSync(path.join(dir, 'alertmanager.yml'), stringify(config));
  return launch(
    'prometheus-alertmanager',
    [
      `--config.file=${path.join(dir, 'alertmanager.yml')}`,
      `--storage.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
    ],
    { dir, name: 'alertmanager', port, readyPath: '/-/ready' },
  );
}

export async function startNodeExporter(dir: string): Promise<Component> {
  const port = await freePort();
  return launch('prometheus-node-exporter', [`--web.listen-address=127.0.0.1:${port}`], {
    dir,
    name: `node-exporter-${port}`,
    port,
    readyPath: '/metrics',
  });
}

export async function startPostgresExporter(dir: string, databaseUrl: string): Promise<Component> {
  const port = await freePort();
  return launch('prometheus-postgres-exporter', [`--web.listen-address=127.0.0.1:${port}`], {
    dir,
    name: `postgres-exporter-${port}`,
    port,
    readyPath: '/metrics',
    env: { DATA_SOURCE_NAME: databaseUrl },
  });
}

/** Starts Grafana Loki; `retention` (e.g. 168h) turns the compactor's retention on with that period. */
export async function startLoki(parent: string, opts: { retention?: string } = {}): Promise<Component> {
  const dir = path.join(parent, `loki-${Date.now().toString(36)}`);
  mkdirSync(dir, { recursive: true });
  const [port, grpc] = [await freePort(), await freePort()];
  const config = {
    auth_enabled: false,
    server: {
      http_listen_address: '127.0.0.1',
      http_listen_port: port,
      grpc_listen_address: '127.0.0.1',
      grpc_listen_port: grpc,
      log_level: 'warn',
    },
    common: {
      path_prefix: dir,
      replication_factor: 1,
      instance_addr: '127.0.0.1',
      storage: { filesystem: { chunks_directory: path.join(dir, 'chunks'), rules_directory: path.join(dir, 'rules') } },
      ring: { instance_addr: '127.0.0.1', kvstore: { store: 'inmemory' } },
    },
    ingester: { lifecycler: { min_ready_duration: '0s', final_sleep: '0s' } },
    // Loopback only: without this the query frontend advertises the host's interface address to its queriers.
    frontend: { address: '127.0.0.1' },
    schema_config: {
      configs: [
        {
          from: '2020-10-24',
          store: 'tsdb',
          object_store: 'filesystem',
          schema: 'v13',
          index: { prefix: 'index_', period: '24h' },
        },
      ],
    },
    analytics: { reporting_enabled: false },
    ...(opts.retention
      ? {
          compactor: {
            working_directory: path.join(dir, 'compactor'),
            retention_enabled: true,
            delete_request_store: 'filesystem',
          },
          limits_config: { retention_period: opts.retention },
        }
      : {}),
  };
  writeFileSync(path.join(dir, 'loki.yml'), stringify(config));
  // Grafana Loki is not packaged by Debian (its "loki" is an unrelated program): scripts/install-loki.sh builds it.
  const bin = path.join(cacheBinDir(), 'loki');
  if (!existsSync(bin)) throw new Error(`${bin} not found: run scripts/install-loki.sh (builds Grafana Loki with Go)`);
  return launch(bin, [`-config.file=${path.join(dir, 'loki.yml')}`], {
    dir,
    name: 'loki',
    port,
    readyPath: '/ready',
    readyTimeoutMs: 90_000,
  });
}

/** Pushes log lines to Loki (as a log shipper would). */
export async function pushLogs(lokiUrl: string, labels: Record<string, string>, lines: string[]): Promise<void> {
  const now = BigInt(Date.now()) * 1_000_000n;
  const res = await request(`${lokiUrl}/loki/api/v1/push`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ streams: [{ stream: labels, values: lines.map((l, i) => [String(now + BigInt(i)), l]) }] }),
  });
  const body = await res.body.text();
  if (res.statusCode >= 300) throw new Error(`Loki push: HTTP ${res.statusCode} ${body}`);
}

/** Starts a Redis server (Debian's redis-server) with the given persistence on a free loopback port. */
export async function startRedis(parent: string, persistence: 'off' | 'rdb' | 'aof'): Promise<Component> {
  const dir = path.join(parent, `redis-${persistence}-${Date.now().toString(36)}`);
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const bin = findBinary('redis-server');
  if (!bin) throw new Error('redis-server not found: install it (apt-get install redis-server)');
  const log = createWriteStream(path.join(dir, 'redis.log'));
  const child = spawn(
    bin,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--daemonize',
      'no',
      '--protected-mode',
      'no',
      '--save',
      persistence === 'rdb' ? '3600 1' : '',
      '--appendonly',
      persistence === 'aof' ? 'yes' : 'no',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const { createConnection } = await import('node:net');
  const ok = await waitFor(
    () =>
      new Promise<boolean>((resolve) => {
        const s = createConnection({ port, host: '127.0.0.1' }, () => s.write('PING\r\n'));
        s.once('data', (d) => {
          s.destroy();
          resolve(String(d).startsWith('+PONG'));
        });
        s.once('error', () => resolve(false));
      }),
    20_000,
    100,
  );
  if (!ok) {
    await stopProcess(child, 'SIGKILL');
    throw new Error(`redis-server did not start on ${port}; see ${path.join(dir, 'redis.log')}`);
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    address: `127.0.0.1:${port}`,
    child,
    stop: () => stopProcess(child, 'SIGTERM', 5_000),
  };
}

/**
 * Starts Jaeger (built by scripts/install-jaeger.sh) with in-memory storage: OTLP/HTTP on `otlpUrl`'s port, the
 * query API on `url`. All on loopback, free ports.
 */
export async function startJaeger(parent: string): Promise<Component & { otlpUrl: string }> {
  const dir = path.join(parent, `jaeger-${Date.now().toString(36)}`);
  mkdirSync(dir, { recursive: true });
  const [query, grpc, otlp] = [await freePort(), await freePort(), await freePort()];
  const config = {
    service: {
      extensions: ['jaeger_storage', 'jaeger_query'],
      pipelines: {
        traces: { receivers: ['otlp'], processors: ['batch'], exporters: ['jaeger_storage_exporter'] },
      },
      telemetry: { metrics: { level: 'none' }, logs: { level: 'warn' } },
    },
    extensions: {
      jaeger_storage: { backends: { mem: { memory: { max_traces: 100_000 } } } },
      jaeger_query: {
        storage: { traces: 'mem' },
        http: { endpoint: `127.0.0.1:${query}` },
        grpc: { endpoint: `127.0.0.1:${grpc}` },
      },
    },
    receivers: { otlp: { protocols: { http: { endpoint: `127.0.0.1:${otlp}` } } } },
    processors: { batch: { timeout: '100ms' } },
    exporters: { jaeger_storage_exporter: { trace_storage: 'mem' } },
  };
  writeFileSync(path.join(dir, 'jaeger.yml'), stringify(config));
  const bin = path.join(cacheBinDir(), 'jaeger');
  if (!existsSync(bin)) throw new Error(`${bin} not found: run scripts/install-jaeger.sh (builds Jaeger with Go)`);
  const c = await launch(bin, ['--config', path.join(dir, 'jaeger.yml')], {
    dir,
    name: 'jaeger',
    port: query,
    readyPath: '/api/services',
    readyTimeoutMs: 60_000,
  });
  return { ...c, otlpUrl: `http://127.0.0.1:${otlp}/v1/traces` };
}
