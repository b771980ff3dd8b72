import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ReportJson } from './model';
import { renderHtml } from './html';

/** The Chart.js browser bundle (UMD, sets `window.Chart`), next to the package's CommonJS entry in `dist/`. */
const CHART_JS_BUNDLE = 'chart.umd.min.js';

let cached: string | undefined;

/**
 * The source of the Chart.js UMD bundle from the installed `chart.js` package, found through
 * `require.resolve` (the package's export map hides `dist/`, so its entry point's directory is used).
 * Read once and cached: every report.html inlines the same bundle.
 */
function chartJsSource(): string {
  cached ??= readFileSync(path.join(path.dirname(require.resolve('chart.js')), CHART_JS_BUNDLE), 'utf8');
  return cached;
}

/** Renders report.html with Chart.js inlined: one file that opens offline from file://. */
export function renderReportHtml(report: ReportJson): string {
  return renderHtml(report, { chartJsSource: chartJsSource() });
}
