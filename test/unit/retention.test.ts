import { retentionWarning } from '../../src/infra/retention';

const DAY = 86_400_000;

describe('namespace retention against the schedules a worker serves', () => {
  test('when the retention is shorter than the weekly schedule, then the warning names the schedule, both durations and the command', () => {
    const w = retentionWarning(
      DAY,
      [
        { scheduleId: 'weekly-orders', intervalMs: 7 * DAY },
        { scheduleId: 'nightly', intervalMs: DAY / 2 },
      ],
      'default',
    );
    expect(w).toBe(
      "namespace default keeps closed workflows for 1d, less than schedule weekly-orders's interval (7d): the previous campaign's history will be gone from the Web UI before the next run (its results stay in Postgres). Raise it: temporal operator namespace update --namespace default --retention 30d",
    );
  });

  test.each([
    ['the retention covers every schedule', 30 * DAY, [{ scheduleId: 'weekly', intervalMs: 7 * DAY }]],
    ['there is no schedule', DAY, []],
    ['the server does not say', undefined, [{ scheduleId: 'weekly', intervalMs: 7 * DAY }]],
  ])('when %s, then there is no warning', (_what, retentionMs, schedules) => {
    expect(retentionWarning(retentionMs, schedules, 'default')).toBeUndefined();
  });
});
