import {
  backupOutcome,
  compareTables,
  qualifiedTableName,
  scratchNameProblem,
  statusFromFindings,
  tableInRestoreError,
} from '../../src/core/backup';
import { MINIMAL_YAML, yamlProblems } from '../helpers/config';
import { libpqEnv } from '../../src/backup/postgres';

describe('backup judgements', () => {
  test('when tables are compared, then a missing, short or different table never matches', () => {
    const source = new Map([
      ['public.a', { rows: 3, hash: 'x' }],
      ['public.b', { rows: 2, hash: 'y' }],
      ['public.c', { rows: 1, hash: 'z' }],
      ['public.d', { rows: 0, hash: '' }],
    ]);
    const restored = new Map([
      ['public.a', { rows: 3, hash: 'x' }],
      ['public.b', { rows: 1, hash: 'q' }],
      ['public.c', { rows: 1, hash: 'other' }],
    ]);
    expect(compareTables(source, restored)).toEqual([
      { name: 'public.a', sourceRows: 3, restoredRows: 3, match: true },
      { name: 'public.b', sourceRows: 2, restoredRows: 1, match: false },
      { name: 'public.c', sourceRows: 1, restoredRows: 1, match: false },
      { name: 'public.d', sourceRows: 0, restoredRows: null, match: false },
    ]);
    expect(compareTables(source, undefined).every((t) => !t.match)).toBe(true);
  });

  test('when findings or drills fail, then the status and the phase fail (fail closed)', () => {
    expect(statusFromFindings([])).toBe('pass');
    expect(statusFromFindings([{ severity: 'P2', message: 'x' }])).toBe('warn');
    expect(
      statusFromFindings([
        { severity: 'P2', message: 'x' },
        { severity: 'P1', message: 'y' },
      ]),
    ).toBe('fail');
    const ok = {
      id: 'postgres',
      title: 'PG',
      status: 'warn' as const,
      rtoS: 1.5,
      findings: [{ severity: 'P2' as const, message: 'wal off' }],
    };
    expect(backupOutcome([ok])).toEqual({ status: 'pass', reason: '1/1 drills passed; RTO 1.5 s', blockers: [] });
    const broken = { id: 'redis', title: 'Redis', status: 'error' as const, findings: [] };
    expect(backupOutcome([ok, broken])).toMatchObject({ status: 'fail', blockers: ['Redis: could not run'] });
  });

  test('when a scratch name is unsafe, then it is refused with the reason', () => {
    expect(scratchNameProblem('readiness_drill_x', 'shop')).toBeUndefined();
    expect(scratchNameProblem('shop', 'shop')).toMatch(/is the source database/);
    expect(scratchNameProblem('postgres', 'shop')).toMatch(/system database/);
    expect(scratchNameProblem('Robert"; DROP', 'shop')).toMatch(/not a plain lowercase identifier/);
  });

  test('when pg_restore fails on COPY, then the table is named', () => {
    expect(
      tableInRestoreError(
        'pg_restore: error: COPY failed for table "a_items": ERROR:  new row for relation "a_items" violates check constraint',
      ),
    ).toBe('a_items');
    expect(tableInRestoreError('pg_restore: error: could not connect')).toBeUndefined();
  });

  test('when tables are named for proofs, then plain names stay bare and no two tables share a name', () => {
    expect(qualifiedTableName('public', 'items')).toBe('public.items');
    expect(qualifiedTableName('a.b', 'c')).toBe('"a.b".c');
    expect(qualifiedTableName('a', 'b.c')).toBe('a."b.c"');
    expect(qualifiedTableName('Sales', 'x"y')).toBe('"Sales"."x""y"');
  });

  test('when a URL is turned into libpq variables, then the password goes to PGPASSWORD, never argv', () => {
    expect(libpqEnv('postgres://u%40x:p%2Fw@db.internal:6543/orders?sslmode=require')).toEqual({
      PGHOST: 'db.internal',
      PGPORT: '6543',
      PGUSER: 'u@x',
      PGPASSWORD: 'p/w',
      PGDATABASE: 'orders',
      PGSSLMODE: 'require',
    });
    // No credentials in the URL: the worker's own PGUSER/PGPASSWORD (or .pgpass) apply; IPv6 without brackets.
    expect(libpqEnv('postgres://[::1]/orders')).toEqual({ PGHOST: '::1', PGPORT: '5432', PGDATABASE: 'orders' });
  });
});

describe('backup section validation', () => {
  const problems = (extra: string) => yamlProblems(MINIMAL_YAML + extra);
  test.each([
    ['backup: { postgres: { connection: "postgres://u:secret@h/db" } }', 'backup.postgres.connection:'],
    [
      'backup: { postgres: { connection: { fromEnv: DB_URL }, scratchDatabase: "Prod DB" } }',
      'backup.postgres.scratchDatabase: scratchDatabase must be a lowercase identifier',
    ],
    [
      'backup: { postgres: { connection: { fromEnv: DB_URL }, backupDirectory: backups } }',
      'backup.postgres.backupDirectory: backupDirectory must be an absolute path',
    ],
    ['backup: { redis: { connection: { fromEnv: REDIS_URL }, role: queue } }', 'backup.redis.role:'],
    [
      'backup: { serviceRecovery: [{ name: api, command: [], healthUrl: http://127.0.0.1:1/health }] }',
      'backup.serviceRecovery[0].command: command must name a recovery command declared on the worker (READINESS_RECOVERY_COMMANDS), e.g. restart-api; argv arrays are no longer accepted in campaign files',
    ],
    [
      'backup: { serviceRecovery: [{ name: api, command: "systemctl restart api", healthUrl: http://127.0.0.1:1/health }] }',
      'backup.serviceRecovery[0].command:',
    ],
  ])('when the file has %s, then validation names the field', (extra, expected) => {
    expect(problems(`${extra}\n`).join('\n')).toContain(expected);
  });
});
