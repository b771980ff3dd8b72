/**
 * Backup drills against real servers: the test PostgreSQL (its own source databases, created here),
 * Debian's redis-server with and without persistence, and a supervised loopback service that is killed
 * and restarted. A broken backup must never produce a passing drill.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { postgresDrill, tableProofs, type DrillCheckpoint } from '../../src/backup/postgres';
import { redisDrill } from '../../src/backup/redis';
import { serviceRecoveryDrill } from '../../src/backup/service';
import { startRedis } from '../helpers/monitoring-stack';
import { egressGuard } from '../../src/core/egress';

const loopbackOnly = egressGuard({ targets: ['loopback'], systems: ['loopback'] }, 'system');
import { freePort, stopProcess, waitFor } from '../../src/infra/process';
import { testEnv, uid } from '../helpers/env';

const withDb = (db: string) => {
  const u = new URL(testEnv.databaseUrl);
  u.pathname = `/${db}`;
  return u.toString();
};
let dir: string;
const admin = () => new Client({ connectionString: withDb('postgres') });

/** A source database with related tables and `rows` orders. */
async function sourceDb(rows: number, extraSql = ''): Promise<string> {
  const name = `shop_${uid()}`;
  const a = admin();
  await a.connect();
  await a.query(`CREATE DATABASE ${name}`);
  await a.end();
  const c = new Client({ connectionString: withDb(name) });
  await c.connect();
  await c.query(`
    CREATE TABLE customers (id serial PRIMARY KEY, email text UNIQUE NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
    CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id int NOT NULL REFERENCES customers(id), total numeric(10,2) NOT NULL, note text, tags jsonb);
    INSERT INTO customers (email) SELECT 'c' || g || '@example.test' FROM generate_series(1, 200) g;
    INSERT INTO orders (customer_id, total, note, tags) SELECT 1 + g % 200, g * 1.25, CASE WHEN g % 7 = 0 THEN NULL ELSE 'order ' || g END, jsonb_build_object('g', g) FROM generate_series(1, ${rows}) g;
    ${extraSql}`);
  await c.end();
  return name;
}

const databases = async () => {
  const a = admin();
  await a.connect();
  const r = await a.query<{ datname: string }>('SELECT datname FROM pg_database');
  await a.end();
  return r.rows.map((x) => x.datname);
};

async function sourceState(db: string) {
  const c = new Client({ connectionString: withDb(db) });
  await c.connect();
  const proofs = await tableProofs(c);
  await c.end();
  return JSON.stringify([...proofs]);
}

/** A directory holding one "automated backup" file of the given age. */
function backupDir(ageMs: number | null): string {
  const d = mkdtempSync(path.join(dir, 'backups-'));
  if (ageMs !== null) {
    const f = path.join(d, 'nightly.dump');
    writeFileSync(f, 'PGDMP...');
    const t = (Date.now() - ageMs) / 1000;
    utimesSync(f, t, t);
  }
  return d;
}

const drill = (db: string, over: Partial<Parameters<typeof postgresDrill>[0]> = {}) =>
  postgresDrill({
    sourceUrl: withDb(db),
    scratchDatabase: `readiness_drill_${db}`,
    marker: `test ${db}`,
    jobs: 2,
    maxRestoreMs: 60_000,
    rpoTargetMs: 86_400_000,
    backupDirectory: backupDir(3_600_000),
    keep: false,
    ...over,
  });

beforeAll(() => {
  dir = mkdtempSync(path.join(testEnv.dir, 'backup-'));
});

describe('PostgreSQL drill', () => {
  test('when the backup is healthy, then the restore is proven table by table with timings and RTO, the scratch database is dropped, and the source is untouched', async () => {
    const db = await sourceDb(20_000);
    const before = await sourceState(db);
    const r = await drill(db);
    expect(r.findings.filter((f) => f.severity === 'P0' || f.severity === 'P1')).toEqual([]);
    expect(r.status).toBe('warn'); // WAL archiving is off on the test server: a P2 finding, not a failure.
    expect(r.findings.map((f) => f.message)).toEqual([
      'WAL archiving is off: no point-in-time recovery; the data-loss window is the age of the last backup',
    ]);
    expect(r.tables).toEqual([
      { name: 'public.customers', sourceRows: 200, restoredRows: 200, match: true },
      { name: 'public.orders', sourceRows: 20_000, restoredRows: 20_000, match: true },
    ]);
    expect(r.timings!.dumpS).toBeGreaterThan(0);
    expect(r.timings!.restoreS).toBeGreaterThan(0);
    expect(r.timings!.verifyS).toBeGreaterThan(0);
    expect(r.rtoS).toBeGreaterThanOrEqual(r.timings!.restoreS!);
    expect(r.rpoS).toBeGreaterThanOrEqual(3_599);
    expect(r.rpoS).toBeLessThan(3_700);
    expect(await databases()).not.toContain(`readiness_drill_${db}`);
    expect(r.evidence!.scratch).toBe(`readiness_drill_${db}: dropped`);
    expect(await sourceState(db)).toBe(before);
    mkdirSync('test-results', { recursive: true });
    writeFileSync(
      'test-results/backup-drill.json',
      JSON.stringify(
        { rows: 20_200, timings: r.timings, rtoS: r.rtoS, archiveBytes: r.evidence!.archiveBytes },
        null,
        2,
      ),
    );
  });

  test('when data violates a constraint that only the restore enforces, then the drill fails and names the table; it never passes', async () => {
    // The check calls a function that reads another table: on the source the rows went in while the limit
    // was there; during the restore, a_items is copied before z_limits has its row.
    const db = await sourceDb(
      10,
      `
      CREATE TABLE z_limits (max_v int NOT NULL);
      INSERT INTO z_limits VALUES (100);
      CREATE FUNCTION within_limit(v int) RETURNS boolean LANGUAGE sql STABLE AS 'SELECT v <= coalesce((SELECT max(max_v) FROM public.z_limits), -1)';
      CREATE TABLE a_items (v int CHECK (within_limit(v)));
      INSERT INTO a_items SELECT g FROM generate_series(1, 50) g;`,
    );
    const r = await drill(db, { jobs: 1 });
    expect(r.status).toBe('fail');
    expect(r.findings.find((f) => f.message.startsWith('restore failed'))?.message).toMatch(
      /^restore failed on table a_items: .*check constraint/,
    );
    expect(r.tables!.find((t) => t.name === 'public.a_items')).toEqual({
      name: 'public.a_items',
      sourceRows: 50,
      restoredRows: 0,
      match: false,
    });
    expect(r.findings.map((f) => f.message)).toContain('table public.a_items: 0 of 50 rows restored');
    expect(r.rtoS).toBeNull();
    expect(await databases()).not.toContain(`readiness_drill_${db}`);
  });

  test("when the source is written to during the drill, then there is no false mismatch (the proof is taken at the dump's snapshot)", async () => {
    const db = await sourceDb(50_000);
    const writer = new Client({ connectionString: withDb(db) });
    await writer.connect();
    let writes = 0;
    let stop = false;
    const writing = (async () => {
      while (!stop) {
        await writer.query('INSERT INTO orders (customer_id, total) VALUES (1, 9.99)');
        await writer.query('UPDATE orders SET total = total + 1 WHERE id = $1', [1 + (writes % 50_000)]);
        writes++;
      }
    })();
    await waitFor(async () => writes > 20, 10_000, 20);
    const r = await drill(db);
    stop = true;
    await writing;
    await writer.end();
    expect(writes).toBeGreaterThan(50);
    expect(r.tables!.every((t) => t.match)).toBe(true);
    expect(r.status).not.toBe('fail');
    // The source really moved on past the snapshot that was proven.
    const c = new Client({ connectionString: withDb(db) });
    await c.connect();
    const now = Number((await c.query('SELECT count(*) AS n FROM orders')).rows[0].n);
    await c.end();
    expect(now).toBeGreaterThan(r.tables!.find((t) => t.name === 'public.orders')!.sourceRows);
  });

  test('when no automated backup exists or the newest is older than the RPO target, then the drill fails even though the restore works', async () => {
    const db = await sourceDb(100);
    const none = await drill(db, { backupDirectory: backupDir(null) });
    expect(none.status).toBe('fail');
    expect(none.tables!.every((t) => t.match)).toBe(true);
    expect(none.findings.map((f) => `${f.severity} ${f.message}`)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^P1 no automated backup found in \//)]),
    );
    const stale = await drill(db, { backupDirectory: backupDir(3 * 86_400_000) });
    expect(stale.status).toBe('fail');
    expect(stale.findings.find((f) => f.message.startsWith('RPO'))?.message).toMatch(
      /^RPO 2592\d\d s: the newest backup is older than rpoTarget 86400 s$/,
    );
  });

  test("when a crashed attempt left its scratch database behind, then the next attempt drops it (it carries this drill's mark) and completes", async () => {
    const db = await sourceDb(100);
    const scratch = `readiness_drill_${db}`;
    const a = admin();
    await a.connect();
    await a.query(`CREATE DATABASE ${scratch}`);
    await a.query(`COMMENT ON DATABASE ${scratch} IS 'readiness drill scratch test ${db}'`);
    await a.end();
    const r = await drill(db);
    expect(r.status).not.toBe('fail');
    expect(r.tables!.every((t) => t.match)).toBe(true);
    expect(await databases()).not.toContain(scratch);
  });

  test('when a retry gets the checkpoint of an attempt that had dumped, then it restores that archive (no second dump) and proves it against the first snapshot', async () => {
    const db = await sourceDb(2_000);
    let checkpoint: DrillCheckpoint | undefined;
    const keepDir = mkdtempSync(path.join(tmpdir(), 'readiness-drill-'));
    const first = await drill(db, {
      checkpoint: (c) => {
        // The worker "crashes" here: the archive survives on disk (a SIGKILL runs no cleanup).
        const archive = path.join(keepDir, 'source.dump');
        copyFileSync(c.archive, archive);
        checkpoint = { ...c, archive };
      },
    });
    expect(first.status).toBe('warn');
    expect(checkpoint!.sourceProofs.map(([name, p]) => [name, p.rows])).toEqual([
      ['public.customers', 200],
      ['public.orders', 2_000],
    ]);
    // Rows written after the first attempt's snapshot are not in its archive, and must not count against it.
    const c = new Client({ connectionString: withDb(db) });
    await c.connect();
    await c.query('INSERT INTO orders (customer_id, total) SELECT 1, 1 FROM generate_series(1, 50)');
    await c.end();
    const steps: string[] = [];
    const resumed = await drill(db, { resume: checkpoint, progress: (s) => steps.push(s) });
    expect(steps).not.toContain('dump');
    expect(resumed.evidence!.resumedFrom).toBe('restore');
    expect(resumed.timings!.dumpS).toBe(checkpoint!.dumpS);
    expect(resumed.tables).toEqual([
      { name: 'public.customers', sourceRows: 200, restoredRows: 200, match: true },
      { name: 'public.orders', sourceRows: 2_000, restoredRows: 2_000, match: true },
    ]);
    expect(resumed.rtoS).toBeGreaterThan(0);
    expect(existsSync(keepDir)).toBe(false); // the resumed attempt claimed the archive's directory and cleaned it up

    // A checkpoint is input: an archive outside a drill work directory, or of another source, is never used (or deleted).
    const elsewhereDir = mkdtempSync(path.join(dir, 'not-a-drill-'));
    const foreign = path.join(elsewhereDir, 'source.dump');
    copyFileSync(path.join(__dirname, '..', '..', 'package.json'), foreign);
    const untrusted = await drill(db, {
      resume: { ...checkpoint!, archive: foreign, archiveBytes: readFileSync(foreign).length },
    });
    expect(untrusted.evidence!.resumedFrom).toMatch(/^start/);
    expect(existsSync(foreign)).toBe(true);
    const otherSourceDir = mkdtempSync(path.join(tmpdir(), 'readiness-drill-'));
    copyFileSync(path.join(__dirname, '..', '..', 'package.json'), path.join(otherSourceDir, 'source.dump'));
    const otherSource = await drill(db, {
      resume: {
        ...checkpoint!,
        archive: path.join(otherSourceDir, 'source.dump'),
        archiveBytes: readFileSync(path.join(otherSourceDir, 'source.dump')).length,
        source: 'elsewhere:5432/other as someone',
      },
    });
    expect(otherSource.evidence!.resumedFrom).toMatch(/^start/);
    rmSync(otherSourceDir, { recursive: true, force: true });
    expect(await databases()).not.toContain(`readiness_drill_${db}`);

    // On another machine (the archive is gone), the retry starts over and says so.
    const elsewhere = await drill(db, { resume: { ...checkpoint!, archive: path.join(dir, 'gone', 'source.dump') } });
    expect(elsewhere.evidence!.resumedFrom).toMatch(/^start/);
    expect(elsewhere.tables!.find((t) => t.name === 'public.orders')!.sourceRows).toBe(2_050);
    expect(elsewhere.tables!.every((t) => t.match)).toBe(true);
  });

  test("when the scratch name is the source, an existing database, or another drill's scratch, then nothing is created or dropped", async () => {
    const db = await sourceDb(10);
    const same = await drill(db, { scratchDatabase: db });
    expect(same).toMatchObject({
      status: 'error',
      findings: [{ severity: 'P1', message: `scratch database "${db}" is the source database: refusing` }],
    });
    const foreign = `important_${uid()}`;
    const a = admin();
    await a.connect();
    await a.query(`CREATE DATABASE ${foreign}`);
    await a.end();
    const r = await drill(db, { scratchDatabase: foreign });
    expect(r.status).toBe('fail');
    expect(r.findings[0]!.message).toMatch(/already exists and was not created by this drill: refusing/);
    expect(await databases()).toEqual(expect.arrayContaining([db, foreign]));
    // Another campaign's drill scratch (a different mark) running under the same name is not dropped either.
    const other = `readiness_drill_other_${uid()}`;
    const b = admin();
    await b.connect();
    await b.query(`CREATE DATABASE ${other}`);
    await b.query(`COMMENT ON DATABASE ${other} IS 'readiness drill scratch another-campaign'`);
    await b.end();
    const r2 = await drill(db, { scratchDatabase: other });
    expect(r2.findings[0]!.message).toMatch(/already exists and was not created by this drill: refusing/);
    expect(await databases()).toContain(other);
  });
});

describe('Redis persistence drill', () => {
  test.each([
    ['aof', 'store', 'pass', []],
    ['rdb', 'store', 'warn', ['RDB snapshots only']],
    ['off', 'store', 'fail', ['persistence is off']],
    ['off', 'cache', 'warn', ['persistence is off']],
  ] as const)(
    'when persistence is %s for a %s, then the drill is %s and BGSAVE is proven',
    async (persistence, role, status, messages) => {
      const redis = await startRedis(dir, persistence);
      try {
        const r = await redisDrill({ url: redis.url, role, timeoutMs: 20_000 });
        expect(r.status).toBe(status);
        expect(r.findings.map((f) => f.message.split(' (')[0]!.split(':')[0])).toEqual(
          messages.map((m) => expect.stringContaining(m)),
        );
        expect(r.timings!.bgsaveS).toBeGreaterThanOrEqual(0);
        expect(r.evidence!.lastBgsaveStatus).toBe('ok');
      } finally {
        await redis.stop();
      }
    },
  );

  test('when Redis is unreachable, then the drill is an error, never a pass', async () => {
    const r = await redisDrill({ url: `redis://127.0.0.1:${await freePort()}`, role: 'store', timeoutMs: 2_000 });
    expect(r.status).toBe('error');
  });
});

describe('service recovery drill', () => {
  let port: number;
  let supervisor: ChildProcess;
  let pidFile: string;

  /** A service on `port` kept alive by a supervisor loop that restarts it `delayS` after it dies. */
  async function supervised(delayS: number) {
    port = await freePort();
    pidFile = path.join(dir, `svc-${port}.pid`);
    const server = `require('http').createServer((q, s) => s.end('ok')).listen(${port}, '127.0.0.1')`;
    supervisor = spawn(
      'bash',
      [
        '-c',
        `while true; do "${process.execPath}" -e "${server}" & echo $! > "${pidFile}"; wait $!; sleep ${delayS}; done`,
      ],
      { stdio: 'ignore' },
    );
    expect(
      await waitFor(async () => existsSync(pidFile) && (await fetch(`http://127.0.0.1:${port}/health`)).ok, 10_000),
    ).toBe(true);
  }

  afterEach(async () => {
    const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : 0;
    await stopProcess(supervisor, 'SIGKILL');
    if (pid)
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
  });

  test('when the killed service comes back within its limit, then the recovery time is measured and the drill passes', async () => {
    await supervised(0.5);
    const r = await serviceRecoveryDrill({
      name: 'api',
      command: 'kill-api',
      healthUrl: `http://127.0.0.1:${port}/health`,
      maxRecoveryMs: 10_000,
      commands: { 'kill-api': ['/usr/bin/pkill', '-F', pidFile] },
      egress: loopbackOnly,
    });
    expect(r.status).toBe('pass');
    expect(r.evidence!.sawDown).toBe(true);
    expect(r.timings!.recoveryS).toBeGreaterThanOrEqual(0.4);
    expect(r.timings!.recoveryS).toBeLessThan(10);
  });

  test('when recovery takes longer than its limit, then the drill fails with the measured time', async () => {
    await supervised(2.5);
    const r = await serviceRecoveryDrill({
      name: 'api',
      command: 'kill-api',
      healthUrl: `http://127.0.0.1:${port}/health`,
      maxRecoveryMs: 1_000,
      commands: { 'kill-api': ['/usr/bin/pkill', '-F', pidFile] },
      egress: loopbackOnly,
    });
    expect(r.status).toBe('fail');
    expect(r.timings!.recoveryS).toBeGreaterThan(2);
    expect(r.findings[0]!.message).toMatch(/^recovered in [\d.]+ s, over maxRecoveryTime 1 s$/);
  });

  test('when the campaign names a command the worker did not declare, then nothing is run and the service is untouched', async () => {
    await supervised(0.5);
    const pid = readFileSync(pidFile, 'utf8');
    for (const command of ['kill-api', 'constructor', '__proto__']) {
      const r = await serviceRecoveryDrill({
        name: 'api',
        command,
        healthUrl: `http://127.0.0.1:${port}/health`,
        maxRecoveryMs: 10_000,
        commands: { 'restart-db': ['/usr/bin/systemctl', 'restart', 'db'] },
        egress: loopbackOnly,
      });
      expect(r.status).toBe('error');
      expect(r.findings[0]!.message).toBe(
        `"${command}" is not a recovery command declared on this worker in READINESS_RECOVERY_COMMANDS (restart-db): nothing was run`,
      );
    }
    expect(readFileSync(pidFile, 'utf8')).toBe(pid);
  });

  test('when the health URL is off the allowlist, then nothing is run and no request is sent', async () => {
    await supervised(0.5);
    const pid = readFileSync(pidFile, 'utf8');
    const r = await serviceRecoveryDrill({
      name: 'api',
      command: 'kill-api',
      healthUrl: `http://127.0.0.1:${port}/health`,
      maxRecoveryMs: 10_000,
      commands: { 'kill-api': ['/usr/bin/pkill', '-F', pidFile] },
      egress: egressGuard({ targets: ['loopback'], systems: ['monitoring.internal'] }, 'system'),
    });
    expect(r.status).toBe('error');
    expect(r.findings[0]!.message).toMatch(
      /host "127\.0\.0\.1" is not on this worker's allowlist for monitoring and backup systems \(monitoring\.internal\).*READINESS_ALLOWED_SYSTEM_HOSTS.*nothing was run/,
    );
    expect(readFileSync(pidFile, 'utf8')).toBe(pid);
  });
});
