/**
 * Run windows ("stress only between 22:00 and 06:00 Berlin time"): pure functions of an instant, so the
 * workflow can decide, deterministically, whether a step may start now or how long to sleep until the
 * window next opens. Wall-clock times are read in the window's IANA time zone through Intl (the time
 * zone data of the worker's Node runtime), so daylight-saving changes are followed.
 */

/** A daily window in local wall-clock time; `end` before `start` wraps past midnight. */
export interface RunWindow {
  /** "HH:MM", 24-hour. */
  start: string;
  /** "HH:MM", 24-hour; the window is [start, end). */
  end: string;
  /** IANA time zone, e.g. Europe/Berlin. */
  timezone: string;
}

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;
const DAY_MS = 86_400_000;

/** Minutes since midnight of "HH:MM", or undefined when it is not a valid 24-hour time. */
export function parseClock(s: string): number | undefined {
  const m = HHMM.exec(s);
  return m ? Number(m[1]) * 60 + Number(m[2]) : undefined;
}

/** Whether `tz` is an IANA time zone this runtime knows. */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(tz, f);
  }
  return f;
}

/** The local wall-clock time of an instant, as if it were UTC (milliseconds). */
function localAsUtc(epochMs: number, tz: string): number {
  const parts: Record<string, number> = {};
  for (const p of formatter(tz).formatToParts(new Date(epochMs)))
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return (
    Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!) +
    (((epochMs % 1000) + 1000) % 1000)
  );
}

/** The zone's offset from UTC at an instant, in milliseconds (Berlin in summer: +2 h). */
export function zoneOffsetMs(epochMs: number, tz: string): number {
  return localAsUtc(epochMs, tz) - epochMs;
}

/** The instant at which a local wall-clock time (as-if-UTC ms) occurs; in a DST gap, the instant after it. */
function localToInstant(local: number, tz: string): number {
  const first = local - zoneOffsetMs(local, tz);
  return local - zoneOffsetMs(first, tz);
}

/** The next instant strictly after `nowMs` at which the local clock in `tz` shows `minutes` past midnight. */
export function nextLocalTime(nowMs: number, minutes: number, tz: string): number {
  const localNow = localAsUtc(nowMs, tz);
  const midnight = Math.floor(localNow / DAY_MS) * DAY_MS;
  for (let day = 0; day <= 2; day++) {
    const at = localToInstant(midnight + day * DAY_MS + minutes * 60_000, tz);
    if (at > nowMs) return at;
  }
  throw new Error(`no ${minutes} minutes past midnight in ${tz} after ${new Date(nowMs).toISOString()}`);
}

/** Whether the instant falls inside the window. */
export function insideWindow(nowMs: number, w: RunWindow): boolean {
  const start = parseClock(w.start)!;
  const end = parseClock(w.end)!;
  const local = localAsUtc(nowMs, w.timezone);
  const minute = (local - Math.floor(local / DAY_MS) * DAY_MS) / 60_000;
  return start < end ? minute >= start && minute < end : minute >= start || minute < end;
}

/** How long the window is, in minutes of wall-clock time. */
export function windowLengthMinutes(w: RunWindow): number {
  const start = parseClock(w.start)!;
  const end = parseClock(w.end)!;
  return end > start ? end - start : 24 * 60 - start + end;
}

/** What a step that needs `needMs` should do at `nowMs`: start now, or wait `waitMs` for the next opening. */
export type WindowDecision =
  | { run: true; closesAtMs: number }
  | { run: false; waitMs: number; opensAtMs: number; reason: 'closed' | 'too_little_left' };

/**
 * Whether a step needing `needMs` may start at `nowMs`: only inside the window and only when it can
 * finish before the window closes; otherwise the wait until the window next opens.
 */
export function windowDecision(nowMs: number, w: RunWindow, needMs: number): WindowDecision {
  const closesAtMs = nextLocalTime(nowMs, parseClock(w.end)!, w.timezone);
  const inside = insideWindow(nowMs, w);
  if (inside && closesAtMs - nowMs >= needMs) return { run: true, closesAtMs };
  const opensAtMs = nextLocalTime(nowMs, parseClock(w.start)!, w.timezone);
  return { run: false, waitMs: opensAtMs - nowMs, opensAtMs, reason: inside ? 'too_little_left' : 'closed' };
}
