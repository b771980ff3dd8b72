/**
 * No Docker engine runs here, so the compose stack is checked statically against the code: the
 * services exist, ports agree, every environment variable the worker is given is one the code reads,
 * and the search attributes registered are the ones the workflow upserts; the example Prometheus and
 * Alertmanager configuration is checked by the real promtool / amtool.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { SEARCH_ATTRIBUTES } from '../../src/core/names';
import { resolveEndpoints } from '../../src/infra/dev-state';

const ROOT = path.join(__dirname, '..', '..');
const compose = parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'));
const services = compose.services as Record<
  string,
  { environment?: Record<string, string>; ports?: string[]; command?: string[]; build?: string; depends_on?: unknown }
>;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}
const source = sourceFiles(path.join(ROOT, 'src'))
  .map((f) => readFileSync(f, 'utf8'))
  .join('\n');

describe('docker-compose.yml', () => {
  test('when parsed, then it has the production-like services', () => {
    expect(Object.keys(services).sort()).toEqual([
      'alertmanager',
      'codec-server',
      'prometheus',
      'results-db',
      'temporal',
      'temporal-db',
      'temporal-setup',
      'temporal-ui',
      'worker',
    ]);
    expect(services.worker.build).toBe('.');
    expect(services.worker.command).toEqual(['worker']);
  });

  test('when the worker environment is read, then every variable is one the code actually reads', () => {
    for (const key of Object.keys(services.worker.environment ?? {})) {
      // Read as process.env.X, or as env.X by a function given the process's environment.
      expect(source).toMatch(new RegExp(`\\benv\\.${key}\\b`));
    }
  });

  test('when the worker connects, then its addresses point at the compose services and their ports', () => {
    const env = services.worker.environment!;
    expect(env.TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(services.temporal.ports).toContain('7233:7233');
    const db = new URL(env.DATABASE_URL.replace('${RESULTS_DB_PASSWORD:-readiness}', 'pw'));
    expect(db.hostname).toBe('results-db');
    expect(db.port).toBe('5432');
    expect(db.username).toBe(services['results-db'].environment!.POSTGRES_USER);
    expect(db.pathname).toBe(`/${services['results-db'].environment!.POSTGRES_DB}`);
  });

  test('when the CLI derives the Web UI link from the Temporal address, then it matches the UI port mapping', () => {
    const { uiUrl } = resolveEndpoints({ address: '127.0.0.1:7233', dataDir: '/nonexistent' }, {});
    expect(uiUrl).toBe('http://127.0.0.1:8233');
    expect(services['temporal-ui'].ports).toContain('8233:8080');
  });

  test('when the setup job runs, then it registers exactly the search attributes the workflow upserts', () => {
    const cmd = (services['temporal-setup'].command ?? []).join(' ');
    for (const sa of SEARCH_ATTRIBUTES) expect(cmd).toContain(`${sa.name}=${sa.type}`);
    expect(cmd.match(/Readiness\w+=/g)).toHaveLength(SEARCH_ATTRIBUTES.length);
  });

  test('when the Dockerfile is read, then the image runs the CLI and defaults to a worker', () => {
    const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile).toContain('ENTRYPOINT ["node", "bin/readiness.js"]');
    expect(dockerfile).toContain('CMD ["worker"]');
    expect(dockerfile).toMatch(/FROM node:20/);
  });

  test("when the codec server runs, then the UI's origin is its CORS origin, its port is published, and it shares the worker's keys", () => {
    const codec = services['codec-server'] as typeof services.worker & { profiles?: string[] };
    expect(codec.profiles).toEqual(['encryption']);
    const cmd = codec.command!;
    const flag = (name: string) => cmd[cmd.indexOf(name) + 1];
    expect(flag('--cors-origin')).toBe(services['temporal-ui'].environment!.TEMPORAL_CORS_ORIGINS);
    expect(codec.ports).toContain(`127.0.0.1:${flag('--port')}:${flag('--port')}`);
    expect(codec.environment!.READINESS_CODEC_KEYS).toBe(services.worker.environment!.READINESS_CODEC_KEYS);
    expect(source).toContain("'--cors-origin <origin>'");
  });

  test("when Prometheus is configured, then it scrapes the worker's metrics port, loads its rules and alerts the Alertmanager service", () => {
    const prom = parse(readFileSync(path.join(ROOT, 'deploy', 'prometheus.yml'), 'utf8'));
    const port = services.worker.environment!.READINESS_METRICS_ADDRESS.split(':').pop();
    const targets = prom.scrape_configs.flatMap((j: { static_configs: Array<{ targets: string[] }> }) =>
      j.static_configs.flatMap((c) => c.targets),
    );
    expect(targets).toContain(`worker:${port}`);
    expect(prom.alerting.alertmanagers[0].static_configs[0].targets).toEqual(['alertmanager:9093']);
    expect(services.alertmanager.ports).toContain('127.0.0.1:9093:9093');
  });

  test("when promtool checks the example configuration and rules, then they are valid (Debian's prometheus package)", () => {
    const cfg = spawnSync('promtool', ['check', 'config', path.join(ROOT, 'deploy', 'prometheus.yml')], {
      encoding: 'utf8',
    });
    expect(cfg.error).toBeUndefined();
    expect(`${cfg.stdout}${cfg.stderr}`).toContain('SUCCESS');
    expect(cfg.status).toBe(0);
    const am = spawnSync('amtool', ['check-config', path.join(ROOT, 'deploy', 'alertmanager.yml')], {
      encoding: 'utf8',
    });
    expect(am.error).toBeUndefined();
    expect(am.status).toBe(0);
  });
});
