import fc from 'fast-check';
import {
  bucketOf,
  DEFAULT_RESOLUTION,
  maxRows,
  planCompaction,
  resolutionProblem,
  type CompactionState,
  type TimelineResolution,
} from '../../src/core/downsample';
import { resolutionOf } from '../../src/config/schema';
import { MINIMAL_YAML, SMALL_RESOLUTION, yamlProblems } from '../helpers/config';

const SMALL = SMALL_RESOLUTION;
const START: CompactionState = { doneUpTo: 0, eventSeconds: 0 };

describe('timeline resolution', () => {
  test.each([
    [0, { start: 0, widthS: 1 }],
    [899, { start: 899, widthS: 1 }],
    [900, { start: 900, widthS: 10 }],
    [909, { start: 900, widthS: 10 }],
    [21_599, { start: 21_590, widthS: 10 }],
    [21_600, { start: 21_600, widthS: 60 }],
    [259_199, { start: 259_140, widthS: 60 }],
  ])('when second %d is placed with the default resolution, then it falls in %j', (second, bucket) => {
    expect(bucketOf(second, DEFAULT_RESOLUTION)).toEqual(bucket);
  });

  test('when a 72 h phase is kept with the default resolution, then it has at most 8,730 rows per generator instead of 259,200', () => {
    expect(maxRows(72 * 3600, DEFAULT_RESOLUTION)).toBe(900 + 2_070 + 3_960 + 1_800);
    expect(maxRows(72 * 3600, DEFAULT_RESOLUTION)).toBeLessThan(10_000);
    expect(maxRows(600, DEFAULT_RESOLUTION)).toBe(600 + 1_800);
  });

  test.each<[string, TimelineResolution, RegExp | undefined]>([
    ['the default', DEFAULT_RESOLUTION, undefined],
    [
      'a first tier that does not start at fullS',
      { ...SMALL, tiers: [{ fromS: 12, widthS: 2 }] },
      /first tier must start/,
    ],
    [
      'a tier that starts mid-window',
      {
        ...SMALL,
        tiers: [
          { fromS: 10, widthS: 3 },
          { fromS: 30, widthS: 5 },
        ],
      },
      /whole number of tier 1's windows/,
    ],
    [
      'tiers out of order',
      {
        ...SMALL,
        tiers: [
          { fromS: 10, widthS: 2 },
          { fromS: 10, widthS: 5 },
        ],
      },
      /whole number/,
    ],
    ['a zero window', { ...SMALL, tiers: [{ fromS: 10, widthS: 0 }] }, /whole number of seconds >= 1/],
  ])('when the resolution is %s, then it is judged usable or not', (_what, r, problem) => {
    const found = resolutionProblem(r);
    if (problem) expect(found).toMatch(problem);
    else expect(found).toBeUndefined();
  });

  test('when a campaign sets settings.timeline, then it becomes the resolution in seconds; a tier off the grid is refused', () => {
    expect(
      resolutionOf({
        perSecondFor: '10s',
        tiers: [
          { after: '10s', every: '2s' },
          { after: '30s', every: '5s' },
        ],
        keepAroundEvents: '2s',
        maxEventDetail: '6s',
      }),
    ).toEqual(SMALL);
    expect(resolutionOf(undefined)).toBe(DEFAULT_RESOLUTION);
    expect(
      yamlProblems(
        `${MINIMAL_YAML}settings: { timeline: { perSecondFor: 10s, tiers: [{ after: 10s, every: 3s }, { after: 30s, every: 5s }] } }\n`,
      ),
    ).toEqual(["settings.timeline.tiers: tier 2 must start a whole number of tier 1's windows (3 s) after it"]);
    expect(yamlProblems(`${MINIMAL_YAML}settings: { timeline: { perSecondFor: 1500ms } }\n`)).toEqual(
      expect.arrayContaining(['settings.timeline.perSecondFor: perSecondFor must be a whole number of seconds']),
    );
  });
});

describe('planning the compaction', () => {
  const plan = (
    safeUpTo: number,
    errorSeconds: number[] = [],
    extra: Partial<Parameters<typeof planCompaction>[0]> = {},
  ) => planCompaction({ r: SMALL, state: START, safeUpTo, errorSeconds, events: [], ...extra });

  test('when nothing happened, then every complete window past the per-second start is merged, and nothing newer', () => {
    const p = plan(41);
    expect(p.merge).toEqual([
      ...[10, 12, 14, 16, 18, 20, 22, 24, 26, 28].map((start) => ({ start, widthS: 2 })),
      { start: 30, widthS: 5 },
      { start: 35, widthS: 5 },
    ]);
    expect(p.state).toEqual({ doneUpTo: 40, eventSeconds: 0 });
  });

  test('when a second had errors, then the windows within the margin of it keep their seconds', () => {
    const p = plan(30, [17]);
    expect(p.merge.map((m) => m.start)).toEqual([10, 12, 20, 22, 24, 26, 28]);
    expect(p.state.eventSeconds).toBe(6);
  });

  test('when the event budget is spent, then later events no longer keep detail', () => {
    const p = plan(41, [13, 25, 36]);
    // 13 keeps [10, 16) (6 s): the budget; 25 and 36 are merged like the rest.
    expect(p.merge.map((m) => m.start)).toEqual([16, 18, 20, 22, 24, 26, 28, 30, 35]);
    expect(p.state.eventSeconds).toBe(6);
  });

  test('when a range is pinned (the stress recovery), then it keeps its seconds whatever the budget', () => {
    const p = plan(41, [13], { pinned: [{ from: 31, to: 36 }] });
    expect(p.merge.map((m) => m.start)).not.toContain(30);
    expect(p.merge.map((m) => m.start)).not.toContain(35);
    expect(p.state.eventSeconds).toBe(6);
  });

  test('when there are no tiers, then nothing is ever merged', () => {
    expect(
      planCompaction({ r: { ...SMALL, tiers: [] }, state: START, safeUpTo: 10_000, errorSeconds: [], events: [] })
        .merge,
    ).toEqual([]);
  });

  test('when the seconds arrive in passes of any size, then the windows merged are those of one pass over everything', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 80 }), { maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 20 }),
        (errors, steps) => {
          const end = 90;
          const once = planCompaction({ r: SMALL, state: START, safeUpTo: end, errorSeconds: errors, events: [] });
          let state = START;
          const merged: Array<{ start: number; widthS: number }> = [];
          let at = 0;
          for (const step of [...steps, end]) {
            at = Math.min(end, at + step);
            // A pass sees the errors stored so far (seconds before `at` plus the margin it waits for).
            const seen = errors.filter((e) => e < at + SMALL.eventMarginS);
            const p = planCompaction({ r: SMALL, state, safeUpTo: at, errorSeconds: seen, events: [] });
            merged.push(...p.merge);
            state = p.state;
          }
          expect(merged).toEqual(once.merge);
          expect(state).toEqual(once.state);
        },
      ),
      { numRuns: 300 },
    );
  });
});
