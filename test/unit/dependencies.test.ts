import {
  DEFAULT_DEPENDENCY_TARGETS,
  errorRows,
  faultsOutcome,
  judgeOperation,
  type OperationMeasurement,
} from '../../src/core/dependencies';
import { MINIMAL_YAML, yamlProblems } from '../helpers/config';

const measured = (over: Partial<OperationMeasurement> = {}): OperationMeasurement => ({
  operation: 'get',
  operations: 2_000,
  errors: 0,
  concurrency: 4,
  elapsedMs: 500,
  meanMs: 0.4,
  p50Ms: 0.3,
  p95Ms: 0.9,
  p99Ms: 2,
  maxMs: 5,
  ...over,
});

describe('dependency benchmark judgement (targets from the seeds)', () => {
  test("when a Redis GET is within the seeds' targets, then it passes with its throughput", () => {
    expect(judgeOperation('cache', 'redis', measured())).toMatchObject({
      name: 'cache.get',
      status: 'pass',
      opsPerS: 4_000,
      targets: DEFAULT_DEPENDENCY_TARGETS.get,
      reasons: [],
    });
  });

  test.each([
    ['a slow mean', { meanMs: 6 }, 'mean 6 ms, target < 5 ms'],
    ['a slow p95', { p95Ms: 12 }, 'p95 12 ms, target < 10 ms'],
    ['a slow p99', { p99Ms: 25 }, 'p99 25 ms, target < 20 ms'],
    ['too few operations a second', { elapsedMs: 4_000 }, '500 operations/s with 4 in flight, target > 1,000'],
    ['some errors', { errors: 3, firstError: 'READONLY' }, '3 of 2000 operations failed: READONLY'],
  ])('when a Redis GET has %s, then it fails, saying which target and by how much', (_what, over, reason) => {
    const row = judgeOperation('cache', 'redis', measured(over));
    expect(row.status).toBe('fail');
    expect(row.reasons).toEqual([reason]);
  });

  test('when every operation failed, then it is an error, never a pass or a fail', () => {
    const row = judgeOperation('cache', 'redis', measured({ errors: 2_000, firstError: 'ECONNREFUSED' }));
    expect(row).toMatchObject({ status: 'error', reasons: ['every operation failed: ECONNREFUSED'] });
  });

  test("when the campaign sets its own target, then it replaces the seeds' for that operation only", () => {
    const row = judgeOperation('db', 'postgres', measured({ operation: 'write', meanMs: 30 }), { meanMs: 20 });
    expect(row).toMatchObject({ status: 'fail', targets: { meanMs: 20 }, reasons: ['mean 30 ms, target < 20 ms'] });
    expect(judgeOperation('db', 'postgres', measured({ operation: 'read', meanMs: 30 })).status).toBe('pass');
  });

  test('when one dependency could not be benchmarked, then the phase is an error that names it, and each of its operations is an error row', () => {
    const ok = judgeOperation('cache', 'redis', measured());
    const o = faultsOutcome([
      { dependency: 'cache', kind: 'redis', rows: [ok] },
      { dependency: 'db', kind: 'postgres', ...errorRows('db', 'postgres', 'refused') },
    ]);
    expect(o).toMatchObject({ status: 'error', reason: 'db: refused' });
    expect(o.result.errors).toEqual([{ dependency: 'db', error: 'refused' }]);
    expect(o.result.dependencies.map((r) => [r.name, r.status, r.reasons])).toEqual([
      ['cache.get', 'pass', []],
      ['db.read', 'error', ['refused']],
      ['db.write', 'error', ['refused']],
    ]);
  });

  test('when some operations failed, then throughput counts only those that succeeded', () => {
    expect(judgeOperation('cache', 'redis', measured({ errors: 1_000, firstError: 'OOM' })).opsPerS).toBe(2_000);
  });
});

describe('faults section validation', () => {
  const problems = (extra: string) => yamlProblems(MINIMAL_YAML + extra).join('\n');
  test.each([
    [
      'faults: { dependencies: [{ name: cache, kind: redis, connection: "redis://:pw@h:6379" }] }',
      'faults.dependencies[0].connection:',
    ],
    [
      'faults: { dependencies: [{ name: cache, kind: mysql, connection: { fromEnv: R } }] }',
      'kind must be redis or postgres',
    ],
    [
      'faults: { dependencies: [{ name: db, kind: postgres, connection: { fromEnv: R }, targets: { get: { meanMs: 1 } } }] }',
      'faults.dependencies[0].targets.get: postgres has no operation get (its operations: read, write)',
    ],
    [
      'faults: { dependencies: [{ name: a, kind: redis, connection: { fromEnv: R } }, { name: a, kind: redis, connection: { fromEnv: S } }] }',
      'faults.dependencies[1].name: duplicate name a',
    ],
    ['faults: { dependencies: [] }', 'faults.dependencies needs at least one dependency'],
    [
      'faults: { dependencies: [{ name: cache, kind: redis, connection: { fromEnv: DATABASE_URL } }] }',
      "names the worker's own configuration",
    ],
    [
      'faults: { dependencies: [{ name: cache, kind: redis, connection: { fromEnv: R }, operations: 10000000 }] }',
      'faults.dependencies[0].operations:',
    ],
  ])('when the file has %s, then validation names the field and the problem', (extra, expected) => {
    expect(problems(`${extra}\n`)).toContain(expected);
  });

  test('when the section is valid, then it validates with its defaults', () => {
    expect(
      problems('faults: { dependencies: [{ name: cache, kind: redis, connection: { fromEnv: REDIS_URL } }] }\n'),
    ).toBe('');
  });
});
