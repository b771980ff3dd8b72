import { parseCampaignYaml } from '../../src/config/load';
import { yamlProblems } from '../helpers/config';
import {
  insideWindow,
  nextLocalTime,
  windowDecision,
  windowLengthMinutes,
  zoneOffsetMs,
  type RunWindow,
} from '../../src/core/window';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();
const MIN = 60_000;
const night: RunWindow = { start: '22:00', end: '06:00', timezone: 'Europe/Berlin' };

describe('run windows', () => {
  test('when it is midday in Berlin, then a night window is closed and opens at 22:00 local (21:00 UTC in winter)', () => {
    const d = windowDecision(at('2026-11-22T12:00:00Z'), night, 10 * MIN);
    expect(d).toEqual({ run: false, reason: 'closed', opensAtMs: at('2026-11-22T21:00:00Z'), waitMs: 9 * 60 * MIN });
  });

  test('when it is 23:30 in Berlin, then a step may start and the window closes at 06:00 local the next morning', () => {
    expect(windowDecision(at('2026-11-22T22:30:00Z'), night, 10 * MIN)).toEqual({
      run: true,
      closesAtMs: at('2026-11-23T05:00:00Z'),
    });
  });

  test('when the window is open but the step would outlast it, then it waits for the next night', () => {
    const d = windowDecision(at('2026-11-23T04:50:00Z'), night, 20 * MIN);
    expect(d).toMatchObject({ run: false, reason: 'too_little_left', opensAtMs: at('2026-11-23T21:00:00Z') });
    expect(windowDecision(at('2026-11-23T04:50:00Z'), night, 10 * MIN)).toMatchObject({ run: true });
  });

  test('when the window is in summer time, then its edges follow the zone offset (UTC+2)', () => {
    expect(zoneOffsetMs(at('2026-07-01T12:00:00Z'), 'Europe/Berlin')).toBe(120 * MIN);
    expect(windowDecision(at('2026-07-01T12:00:00Z'), night, MIN)).toMatchObject({
      run: false,
      opensAtMs: at('2026-07-01T20:00:00Z'),
    });
  });

  test('when a non-wrapping window is used, then before, inside and after are told apart (and the end is exclusive)', () => {
    const day: RunWindow = { start: '09:00', end: '17:00', timezone: 'UTC' };
    expect(insideWindow(at('2026-11-22T08:59:59Z'), day)).toBe(false);
    expect(insideWindow(at('2026-11-22T09:00:00Z'), day)).toBe(true);
    expect(insideWindow(at('2026-11-22T16:59:59Z'), day)).toBe(true);
    expect(insideWindow(at('2026-11-22T17:00:00Z'), day)).toBe(false);
    expect(windowLengthMinutes(day)).toBe(480);
    expect(windowLengthMinutes(night)).toBe(480);
    expect(windowDecision(at('2026-11-22T17:00:00Z'), day, MIN)).toMatchObject({
      opensAtMs: at('2026-11-23T09:00:00Z'),
    });
  });

  test('when the clocks spring forward inside the window, then it closes at 05:00 summer time, one real hour early', () => {
    const w: RunWindow = { start: '01:00', end: '05:00', timezone: 'Europe/Berlin' };
    expect(windowDecision(at('2026-03-28T12:00:00Z'), w, MIN)).toMatchObject({
      run: false,
      opensAtMs: at('2026-03-29T00:00:00Z'),
    });
    expect(windowDecision(at('2026-03-29T00:30:00Z'), w, MIN)).toEqual({
      run: true,
      closesAtMs: at('2026-03-29T03:00:00Z'),
    });
  });

  test('when the start time does not exist that day (DST gap), then the window opens at an instant inside it', () => {
    const w: RunWindow = { start: '02:30', end: '04:00', timezone: 'Europe/Berlin' };
    const opens = nextLocalTime(at('2026-03-28T12:00:00Z'), 150, 'Europe/Berlin');
    expect(opens).toBeGreaterThan(at('2026-03-29T00:00:00Z'));
    expect(insideWindow(opens, w)).toBe(true);
  });

  test('for many instants and windows, a decision to run is inside the window with time to finish, and a wait ends at an opening', () => {
    let seed = 7;
    const rand = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const zones = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe'];
    const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
    for (let i = 0; i < 2_000; i++) {
      const start = Math.floor(rand() * 1440);
      let end = Math.floor(rand() * 1440);
      if (end === start) end = (end + 1) % 1440;
      const w: RunWindow = { start: hhmm(start), end: hhmm(end), timezone: zones[i % zones.length]! };
      const now = at('2026-01-01T00:00:00Z') + Math.floor(rand() * 365 * 1440) * MIN + Math.floor(rand() * 60_000);
      const need = Math.floor(rand() * Math.min(windowLengthMinutes(w), 120)) * MIN;
      const d = windowDecision(now, w, need);
      if (d.run) {
        expect(insideWindow(now, w)).toBe(true);
        expect(d.closesAtMs - now).toBeGreaterThanOrEqual(need);
      } else {
        expect(d.waitMs).toBeGreaterThan(0);
        expect(d.opensAtMs).toBe(now + d.waitMs);
        expect({
          i,
          inside: insideWindow(d.opensAtMs, w),
          w: `${w.start}-${w.end} ${w.timezone}`,
          opens: iso(d.opensAtMs),
        }).toMatchObject({ inside: true });
        expect(insideWindow(d.opensAtMs - 1000, w)).toBe(false);
      }
    }
  });
});

describe('run window validation', () => {
  const campaign = (window: string, stepDuration = '2m') => `
apiVersion: readiness/v1
name: night
target: { baseUrl: http://127.0.0.1:8080 }
scenario: { requests: [{ name: home, method: GET, path: / }] }
stress: { startUsers: 10, stepUsers: 10, maxUsers: 20, stepDuration: ${stepDuration}, window: ${window} }
`;
  const problems = yamlProblems;

  test('when the window is valid, then it is kept as written', () => {
    expect(
      parseCampaignYaml(campaign('{ start: "22:00", end: "06:00", timezone: Europe/Berlin }')).stress?.window,
    ).toEqual(night);
  });

  test.each([
    ['{ start: "25:00", end: "06:00", timezone: UTC }', 'stress.window.start: invalid start: expected 24-hour "HH:MM"'],
    ['{ start: "22:00", end: "6", timezone: UTC }', 'stress.window.end: invalid end: expected 24-hour "HH:MM"'],
    ['{ start: "22:00", end: "06:00", timezone: Mars/Olympus }', 'stress.window.timezone: unknown time zone'],
    ['{ start: "22:00", end: "22:00", timezone: UTC }', 'stress.window.end: end must differ from start'],
    ['{ start: "22:00", end: "06:00" }', 'stress.window.timezone:'],
  ])('when the window is %s, then validation names the field', (window, expected) => {
    expect(problems(campaign(window)).join('\n')).toContain(expected);
  });

  test('when the window is shorter than a step, then validation says no step could ever run', () => {
    expect(problems(campaign('{ start: "22:00", end: "22:30", timezone: UTC }', '1h')).join('\n')).toContain(
      'stress.window: the window (30 min) is shorter than one step',
    );
  });
});
