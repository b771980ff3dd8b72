/**
 * The campaign file is untrusted input. A real `readiness worker` process that allows only 127.0.0.1 and holds
 * secrets runs campaigns that try every trick to reach a canary on 127.0.0.3 (a host off its allowlist) and to
 * get secrets out: monitoring URLs, runbook links read from Prometheus, /metrics endpoints, Loki, the Alertmanager
 * and its probe listener, backup database and Redis hosts, service health URLs, other spellings of the same IP,
 * paths and userinfo that would switch host, an undeclared variable, a campaign id that walks out of the reports
 * directory, and endpoints that echo the secret headers back. The canary must see no connection at all, and no
 * secret may appear in any history, log, report or result row.
 */
import { createServer, type Server, type Socket } from 'node:net';
import path from 'node:path';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { startCampaign } from '../../src/cli/campaign-runner';
import { validateCampaign } from '../../src/config/load';
import type { CampaignFileInput as FileInput } from '../../src/config/schema';
import { egressGuard } from '../../src/core/egress';
import { CAMPAIGN_WORKFLOW } from '../../src/core/names';
import { freePort } from '../../src/infra/process';
import { proveDelivery } from '../../src/monitoring/alertmanager';
import { prometheusChecks, RUNBOOK_BUDGET } from '../../src/monitoring/prometheus';
import { spawnWorker, stopWorker } from '../helpers/cli';
import { testEnv, testPool, uid } from '../helpers/env';
import { recordFigures } from '../helpers/figures';
import { campaignPlaces, secretsFound } from '../helpers/scan';
import { startTarget } from '../helpers/target';

const CANARY_HOST = '127.0.0.3';
const loopbackOne = egressGuard({ targets: ['127.0.0.1'], systems: ['127.0.0.1'] }, 'system');

/** A TCP server on 127.0.0.3 that counts every connection, whatever protocol it speaks. */
async function canary(): Promise<{ port: number; connections: () => number; close(): Promise<void> }> {
  let n = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    n++;
    sockets.add(s);
    s.destroy();
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, CANARY_HOST, r));
  return { port, connections: () => n, close: () => new Promise((r) => server.close(() => r())) };
}

/** The request's headers as text, one `name: value` per line (an endpoint that echoes what it was sent). */
const echo = (headers: Record<string, unknown>) =>
  Object.entries(headers)
    .map(([k, v]) => `${k}: ${String(v)}`)
    .join('\n');

test('when campaigns try every trick to reach a host off the allowlist and to echo secrets out, then the host sees no connection and no secret is stored anywhere', async () => {
  const tag = uid();
  const secrets = {
    token: `tok-${tag}-never-stored`,
    apiKey: `key-${tag}-never-stored`,
    pgPassword: `pw${tag}neverstored`,
    undeclared: `undeclared-${tag}-never-read`,
  };
  const can = await canary();
  const c = `${CANARY_HOST}:${can.port}`;
  const decimal = `${((127 << 24) | 3) >>> 0}:${can.port}`; // 127.0.0.3 written as one number

  // The target echoes every request's headers back, on every path but /health.
  let undeclaredSeen = 0;
  const target = await startTarget((req, res) => {
    if (JSON.stringify(req.headers).includes(secrets.undeclared)) undeclaredSeen++;
    res.writeHead(req.url === '/metrics' ? 200 : 500, { 'content-type': 'text/plain' }).end(echo(req.headers));
  });
  // A Prometheus that is ready, lists runbooks on the canary (in four spellings), and echoes headers in its errors.
  const runbooks = [
    `http://${c}/rb`,
    `http://${decimal}/rb`,
    `http://127.0.0.1@${c}/rb`,
    `http://[::ffff:${CANARY_HOST}]:${can.port}/rb`,
  ];
  const prometheus = await startTarget((req, res) => {
    const json = (data: unknown) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'success', data }));
    if (req.url === '/-/ready') return res.writeHead(200).end('ready');
    if (req.url?.startsWith('/api/v1/rules'))
      return json({
        groups: [
          {
            name: 'g',
            file: 'g.yml',
            rules: runbooks.map((u, i) => ({
              name: `A${i}`,
              type: 'alerting',
              health: 'ok',
              annotations: { runbook_url: u },
            })),
          },
        ],
      });
    if (req.url?.startsWith('/api/v1/status/config')) return json({ yaml: 'rule_files: [g.yml]' });
    if (req.url?.startsWith('/api/v1/alertmanagers')) return json({ activeAlertmanagers: [] });
    if (req.url?.startsWith('/api/v1/status/runtimeinfo')) return json({ storageRetention: '30d' });
    return res.writeHead(500).end(echo(req.headers));
  });

  // An Alertmanager and a Loki that are ready, then answer every other request with the secret header they got.
  let systemEchoes = 0;
  const echoSystem = await startTarget((req, res) => {
    if (req.url === '/-/ready' || req.url === '/ready') return res.writeHead(200).end('ready');
    if (String(req.headers.authorization ?? '').includes(secrets.token)) systemEchoes++;
    res.writeHead(500, { 'content-type': 'text/plain' }).end(`authorization: ${String(req.headers.authorization)}`);
  });

  const taskQueue = `trust-${tag}`;
  const env = {
    TEMPORAL_ADDRESS: testEnv.temporalAddress,
    DATABASE_URL: testEnv.databaseUrl,
    READINESS_LOG_LEVEL: 'debug',
    READINESS_TASK_QUEUE: taskQueue,
    READINESS_REPORT_DIR: path.join(testEnv.dir, `trust-${tag}`),
    READINESS_ALLOWED_HOSTS: '127.0.0.1',
    TRUST_TOKEN: `Bearer ${secrets.token}`,
    TRUST_API_KEY: secrets.apiKey,
    WORKER_SECRET: secrets.undeclared,
    TRUST_PG_URL: `postgres://u:${secrets.pgPassword}@${c}/orders`,
    TRUST_REDIS_URL: `redis://:${secrets.pgPassword}@${c}/0`,
    READINESS_SECRET_ENV: 'TRUST_TOKEN,TRUST_API_KEY,TRUST_PG_URL,TRUST_REDIS_URL',
    READINESS_RECOVERY_COMMANDS: JSON.stringify({ noop: ['/bin/true'] }),
  };
  const worker = await spawnWorker(env);
  const connection = await Connection.connect({ address: testEnv.temporalAddress });
  const client = new Client({ connection });
  const pool = testPool();
  const auth = { Authorization: { fromEnv: 'TRUST_TOKEN' } };
  const base = (name: string, extra: Partial<FileInput> = {}): FileInput => ({
    apiVersion: 'readiness/v1',
    name: `${name}-${tag}`,
    target: { baseUrl: target.url, headers: auth },
    scenario: {
      thinkTime: '20ms',
      requests: [
        { name: 'echo', method: 'GET', path: '/echo', headers: { 'X-Api-Key': { fromEnv: 'TRUST_API_KEY' } } },
      ],
    },
    baseline: { phases: [{ name: 'p', users: 2, duration: '2s' }] },
    ...extra,
  });
  const run = async (file: FileInput) => {
    const v = validateCampaign(file);
    if (!v.ok) throw new Error(JSON.stringify(v.problems));
    const handle = await startCampaign(client, v.campaign, { taskQueue });
    return { handle, result: await handle.result() };
  };
  try {
    // 1. Every system on the canary (or behind an echo), the runbooks on the canary, the drills aimed at it.
    const tricks = await run(
      base('tricks', {
        monitoring: {
          prometheus: { url: prometheus.url, headers: auth, requiredJobs: [] },
          alertmanager: { url: `http://${c}`, probe: { listen: `${CANARY_HOST}:${await freePort()}` } },
          metricsEndpoints: [
            { name: 'canary', url: `http://${c}/metrics` },
            { name: 'echo', url: `${target.url}/metrics`, headers: auth },
          ],
          grafana: { url: target.url, headers: auth },
          loki: { url: `http://${decimal}` },
        },
        backup: {
          postgres: { connection: { fromEnv: 'TRUST_PG_URL' } },
          redis: { connection: { fromEnv: 'TRUST_REDIS_URL' } },
          serviceRecovery: [{ name: 'api', command: 'noop', healthUrl: `http://${c}/health` }],
        },
      }),
    );
    // 1b. The Alertmanager (its test alert's POST included) and Loki behind echoes of the secret header.
    const echoes = await run(
      base('echoes', {
        monitoring: {
          alertmanager: {
            url: echoSystem.url,
            headers: auth,
            probe: { listen: `127.0.0.1:${await freePort()}`, timeout: '2s' },
          },
          loki: { url: echoSystem.url, headers: auth, query: '{job="api"}' },
        },
      }),
    );
    // 2. A variable the worker holds but never declared for campaigns.
    const undeclared = await run(
      base('undeclared', { target: { baseUrl: target.url, headers: { Authorization: { fromEnv: 'WORKER_SECRET' } } } }),
    );
    // 3. The target itself on the canary, spelled as one number.
    const offList = await run(base('offlist', { target: { baseUrl: `http://${decimal}` } }));

    // 4. Tricks the schema refuses: started directly (no CLI), the workflow refuses them too, before any activity.
    const direct = [
      [
        'a healthPath naming another host',
        { ...base('direct1'), target: { baseUrl: target.url, healthPath: `//${c}/x` } },
        'x',
      ],
      ['userinfo in baseUrl', { ...base('direct2'), target: { baseUrl: `http://127.0.0.1:1@${c}/` } }, 'x'],
      [
        'a fragment swallowing the API path',
        { ...base('direct3'), monitoring: { prometheus: { url: `http://${c}/#` } } },
        'x',
      ],
      ['a campaign id out of the reports directory', base('direct4'), '../../escape'],
    ] as const;
    const directFailures: string[] = [];
    for (const [what, campaign, id] of direct) {
      const workflowId = `trust-direct-${uid()}`;
      const h = await client.workflow.start(CAMPAIGN_WORKFLOW, {
        taskQueue,
        workflowId,
        args: [{ campaignId: id === 'x' ? workflowId : id, campaign, configHash: 'x', checklist: [] }],
      });
      const err = await h.result().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect({ what, failed: err instanceof WorkflowFailedError }).toEqual({ what, failed: true });
      directFailures.push(`${what}: ${(err as WorkflowFailedError).cause?.message ?? ''}`);
    }
    expect(directFailures.every((m) => m.includes('invalid campaign input'))).toBe(true);
    expect(directFailures.join('\n')).toMatch(/healthPath must not start with "\/\/"/);
    expect(directFailures.join('\n')).toMatch(/must not carry credentials/);
    expect(directFailures.join('\n')).toMatch(/must not have a fragment/);
    expect(directFailures.join('\n')).toMatch(/campaignId "\.\.\/\.\.\/escape" is not a valid id/);

    // Nothing reached the canary, from any phase of any campaign.
    expect(can.connections()).toBe(0);

    // Each refusal is a result naming the host and the variable to change.
    const t = tricks.result;
    const report = JSON.parse(
      await (await import('node:fs/promises')).readFile(path.join(t.reportDir, 'report.json'), 'utf8'),
    );
    const checks = report.monitoring.checks as Array<{ id: string; status: string; evidence: { observed: unknown } }>;
    const observed = (id: string) => JSON.stringify(checks.find((x) => x.id === id)?.evidence.observed);
    for (const id of ['alertmanager.ready', 'metrics.canary.reachable', 'loki.ready']) {
      expect({ id, status: checks.find((x) => x.id === id)?.status }).toEqual({ id, status: 'error' });
      expect(observed(id)).toMatch(
        /refused: host \\"127\.0\.0\.3\\" is not on this worker's allowlist.*READINESS_ALLOWED_SYSTEM_HOSTS/,
      );
    }
    const rb = checks.find((x) => x.id === 'prometheus.runbooks')!;
    expect((rb.evidence.observed as { refusedRunbooks: unknown[] }).refusedRunbooks).toHaveLength(runbooks.length);
    const drills = report.backup.drills as Array<{ id: string; status: string; findings: Array<{ message: string }> }>;
    for (const id of ['postgres', 'redis', 'service.api']) {
      const d = drills.find((x) => x.id === id)!;
      expect({ id, status: d.status }).toEqual({ id, status: 'error' });
      expect(d.findings[0]!.message).toMatch(/host "127\.0\.0\.3" is not on this worker's allowlist/);
    }
    expect(undeclared.result.phases.baseline.reason).toMatch(
      /WORKER_SECRET is not declared for campaigns on this worker: add it to READINESS_SECRET_ENV/,
    );
    expect(undeclaredSeen).toBe(0);
    expect(offList.result.phases.baseline.reason).toMatch(
      /host "127\.0\.0\.3" is not on this worker's allowlist for targets \(127\.0\.0\.1\)/,
    );

    // The echoes reached the worker (the secrets were sent to the allowed echo endpoints), but were scrubbed.
    expect(target.requests()).toBeGreaterThan(10);
    expect(observed('metrics.echo.format')).toContain('[redacted]');
    expect(systemEchoes).toBeGreaterThan(0);
    const echoReport = JSON.parse(
      await (await import('node:fs/promises')).readFile(path.join(echoes.result.reportDir, 'report.json'), 'utf8'),
    );
    const echoed = (echoReport.monitoring.checks as Array<{ id: string; evidence: { observed: unknown } }>).filter(
      (x) => JSON.stringify(x.evidence.observed).includes('authorization: '),
    );
    expect(echoed.map((x) => x.id)).toEqual(expect.arrayContaining(['loki.recent_logs', 'alertmanager.delivery']));
    for (const x of echoed) expect(JSON.stringify(x.evidence.observed)).toContain('authorization: [redacted]');
    const places = (
      await Promise.all(
        [tricks, echoes, undeclared, offList].map(({ handle, result }) =>
          campaignPlaces({ client, workflowId: handle.workflowId, logs: '', reportDir: result.reportDir, pool }),
        ),
      )
    ).flat();
    places.push(['worker logs', worker.logs()]);
    const found = secretsFound(places, secrets);
    expect(found).toEqual([]);

    const tried = [
      'alertmanager.url on the canary',
      'a metrics endpoint on the canary',
      'Alertmanager and Loki echoing the secret header',
      'loki.url as a decimal IP',
      'backup.postgres host',
      'backup.redis host',
      'serviceRecovery healthUrl',
      ...runbooks.map((u) => `runbook ${u}`),
      'an undeclared fromEnv',
      'target.baseUrl as a decimal IP',
      ...direct.map(([what]) => what),
    ];
    recordFigures('trust-boundary', {
      scenario:
        'Trust boundary: campaigns trying to reach a canary on 127.0.0.3 (off the allowlist) and to echo secrets out, on a real worker',
      test: 'test/e2e/trust-boundary.test.ts',
      figures: {
        tricksTried: tried.length,
        requestsToHostsOffAllowlist: can.connections(),
        secretsFound: found.length,
        placesScanned: places.length,
        bytesScanned: places.reduce((n, [, text]) => n + text.length, 0),
      },
    });
  } finally {
    await stopWorker(worker);
    await connection.close();
    await pool.end();
    await Promise.all([target.close(), prometheus.close(), echoSystem.close(), can.close()]);
  }
}, 240_000);

test('when the Alertmanager routes the probe to an address off the allowlist, then the worker does not listen there and posts no alert', async () => {
  const listenPort = await freePort();
  let posted = 0;
  const am = await startTarget((req, res) => {
    if (req.url === '/-/ready') return res.writeHead(200).end('ok');
    if (req.url?.startsWith('/api/v2/status')) {
      const original = `receivers:\n- name: probe\n  webhook_configs:\n  - url: http://${CANARY_HOST}:${listenPort}/\n`;
      return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ config: { original } }));
    }
    if (req.method === 'POST') posted++;
    res.writeHead(200).end('[]');
  });
  try {
    for (const listen of [`${CANARY_HOST}:${listenPort}`, `0.0.0.0:${listenPort}`]) {
      const r = await proveDelivery({
        url: am.url,
        headers: {},
        timeoutMs: 2_000,
        egress: loopbackOne,
        listen,
        waitMs: 2_000,
      });
      expect(r).toMatchObject({ id: 'alertmanager.delivery', status: 'error' });
      expect(String(r.evidence.observed)).toMatch(/^not listening on /);
    }
    expect(posted).toBe(0);
    // Nothing is bound there: the port is still free.
    const probe = createServer();
    await new Promise<void>((resolve, reject) => probe.once('error', reject).listen(listenPort, CANARY_HOST, resolve));
    await new Promise((r) => probe.close(r));
  } finally {
    await am.close();
  }
});

test('when Prometheus lists more runbooks than the budget, then at most that many are probed, a few at a time, reading only their status', async () => {
  let inFlight = 0;
  let maxInFlight = 0;
  let probed = 0;
  const site = await startTarget((_req, res) => {
    probed++;
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    // A body far over what a status check reads.
    setTimeout(() => {
      inFlight--;
      res.writeHead(200).end('x'.repeat(4 << 20));
    }, 20);
  });
  const urls = Array.from({ length: RUNBOOK_BUDGET.urls + 10 }, (_, i) => `${site.url}/rb/${i}`);
  const prom = await startTarget((req, res) => {
    const json = (data: unknown) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'success', data }));
    if (req.url === '/-/ready') return res.writeHead(200).end('ok');
    if (req.url?.startsWith('/api/v1/rules'))
      return json({
        groups: [
          {
            name: 'g',
            file: 'g',
            rules: urls.map((u, i) => ({
              name: `R${i}`,
              type: 'alerting',
              health: 'ok',
              annotations: { runbook_url: u },
            })),
          },
        ],
      });
    if (req.url?.startsWith('/api/v1/targets')) return json({ activeTargets: [] });
    if (req.url?.startsWith('/api/v1/status/config')) return json({ yaml: '' });
    if (req.url?.startsWith('/api/v1/alertmanagers')) return json({ activeAlertmanagers: [] });
    return json({ storageRetention: '30d' });
  });
  try {
    const checks = await prometheusChecks({
      url: prom.url,
      headers: {},
      egress: loopbackOne,
      requiredJobs: [],
      minRetentionMs: 0,
      requireRunbooks: true,
      timeoutMs: 5_000,
    });
    const rb = checks.find((x) => x.id === 'prometheus.runbooks')!;
    expect(probed).toBe(RUNBOOK_BUDGET.urls);
    expect(maxInFlight).toBeLessThanOrEqual(RUNBOOK_BUDGET.parallel);
    expect(rb.status).toBe('error');
    expect(rb.evidence.observed).toMatchObject({ unreachableRunbooks: [], notProbed: { count: 10 } });
  } finally {
    await site.close();
    await prom.close();
  }
});
