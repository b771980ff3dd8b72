/**
 * Figures the reliability tests measure (lost work per kill, outage lengths, inputs tried and rejected),
 * written to test-results/reliability/<name>.json; `npm run reliability` turns them into docs/reliability.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const FIGURES_DIR = path.join(__dirname, '..', '..', 'test-results', 'reliability');

/** Records one scenario's figures: what it is, the test that measured it, and the numbers. */
export function recordFigures(
  name: string,
  entry: { scenario: string; test: string; figures: Record<string, number | string | boolean> },
): void {
  mkdirSync(FIGURES_DIR, { recursive: true });
  writeFileSync(
    path.join(FIGURES_DIR, `${name}.json`),
    `${JSON.stringify({ ...entry, measuredAt: new Date().toISOString() }, null, 2)}\n`,
  );
}
