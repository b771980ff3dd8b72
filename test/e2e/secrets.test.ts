/**
 * Secrets stay references. A campaign whose target token, monitoring token and backup database password
 * come from the worker's environment runs on a real `readiness worker` process (debug logging, no payload
 * codec); then every place the campaign left something is scanned for the secret values: the workflow
 * histories (campaign and child), the worker's logs, the report files, and the campaign's rows in the results
 * database. The secrets were really used (the target and the monitoring endpoint received them).
 */
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { Client as PgClient } from 'pg';
import { startCampaign } from '../../src/cli/campaign-runner';
import { validateCampaign } from '../../src/config/load';
import { spawnWorker, stopWorker } from '../helpers/cli';
import { testEnv, testPool, uid } from '../helpers/env';
import { recordFigures } from '../helpers/figures';
import { startTarget } from '../helpers/target';
import { campaignPlaces, secretsFound } from '../helpers/scan';

test('when a campaign runs with secrets from the environment, then no secret value is in any history, log, report or result row', async () => {
  const tag = uid();
  const secrets = {
    target: `tgt-${tag}-never-seen`,
    monitoring: `mon-${tag}-never-seen`,
    dbPassword: `pw${tag}neverseen`,
  };
  const dbUser = `secret_user_${tag}`;
  const sourceDb = `secret_src_${tag}`;

  // A source database reached as a user whose password is a secret.
  const admin = new PgClient({ connectionString: testEnv.databaseUrl });
  await admin.connect();
  await admin.query(`CREATE ROLE ${dbUser} LOGIN CREATEDB PASSWORD '${secrets.dbPassword}'`);
  await admin.query(`CREATE DATABASE ${sourceDb} OWNER ${dbUser}`);
  await admin.end();
  const src = new URL(testEnv.databaseUrl);
  src.username = dbUser;
  src.password = secrets.dbPassword;
  src.pathname = `/${sourceDb}`;
  const seed = new PgClient({ connectionString: src.toString() });
  await seed.connect();
  await seed.query(
    'CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 100) g',
  );
  await seed.end();

  let targetSawSecret = 0;
  const target = await startTarget((req, res) => {
    if (req.headers.authorization === `Bearer ${secrets.target}`) targetSawSecret++;
    res.writeHead(200).end('ok');
  });
  let monitoringSawSecret = 0;
  const prometheus = await startTarget((req, res) => {
    if (req.headers.authorization === `Bearer ${secrets.monitoring}`) monitoringSawSecret++;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'success', data: {} }));
  });
  const env = {
    TEMPORAL_ADDRESS: testEnv.temporalAddress,
    DATABASE_URL: testEnv.databaseUrl,
    READINESS_LOG_LEVEL: 'debug',
    READINESS_REPORT_DIR: path.join(testEnv.dir, `secrets-${tag}`),
    SECRET_TARGET_TOKEN: `Bearer ${secrets.target}`,
    SECRET_MON_TOKEN: `Bearer ${secrets.monitoring}`,
    SECRET_SOURCE_URL: src.toString(),
    READINESS_SECRET_ENV: 'SECRET_TARGET_TOKEN,SECRET_MON_TOKEN,SECRET_SOURCE_URL',
  };
  const worker = await spawnWorker(env);
  const connection = await Connection.connect({ address: testEnv.temporalAddress });
  const client = new Client({ connection });
  const pool = testPool();
  try {
    const r = validateCampaign({
      apiVersion: 'readiness/v1',
      name: `secrets-${tag}`,
      target: { baseUrl: target.url, headers: { Authorization: { fromEnv: 'SECRET_TARGET_TOKEN' } } },
      scenario: { thinkTime: '20ms', requests: [{ name: 'get', method: 'GET', path: '/x' }] },
      baseline: { phases: [{ name: 'p', users: 2, duration: '2s' }] },
      monitoring: { prometheus: { url: prometheus.url, headers: { Authorization: { fromEnv: 'SECRET_MON_TOKEN' } } } },
      backup: { postgres: { connection: { fromEnv: 'SECRET_SOURCE_URL' }, maxRestoreTime: '5m', rpoTarget: '1h' } },
    });
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const handle = await startCampaign(client, r.campaign);
    const result = await handle.result();

    // The secrets were used: the target and the monitoring endpoint got the tokens, the drill logged in and restored.
    expect(targetSawSecret).toBeGreaterThan(10);
    expect(monitoringSawSecret).toBeGreaterThan(0);
    expect(result.phases.backup.status).toMatch(/pass|fail/);
    expect(result.phases.backup.reason ?? '').not.toMatch(/could not run|authentication/);

    // Where the campaign left something.
    const places = await campaignPlaces({
      client,
      workflowId: handle.workflowId,
      logs: worker.logs(),
      reportDir: result.reportDir,
      pool,
    });
    expect(places.find(([where]) => where === 'worker logs')![1].length).toBeGreaterThan(1_000);
    const found = secretsFound(places, secrets);
    expect(found).toEqual([]);
    // The references travel; their values never do.
    expect(places.find(([where]) => where.startsWith('history'))![1]).toContain('SECRET_SOURCE_URL');
    recordFigures('secret-scan', {
      scenario:
        'Secrets from env references (target token, monitoring token, database password), no codec: scanned for their values',
      test: 'test/e2e/secrets.test.ts',
      figures: {
        secrets: Object.keys(secrets).length,
        placesScanned: places.length,
        bytesScanned: places.reduce((n, [, t]) => n + t.length, 0),
        found: found.length,
      },
    });
  } finally {
    await stopWorker(worker);
    await connection.close();
    await pool.end();
    await target.close();
    await prometheus.close();
  }
}, 180_000);
