/** `v` rounded to `digits` decimals (never -0). Pure. */
export function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f || 0;
}
