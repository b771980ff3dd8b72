/** Debian's Chromium, driven headless by puppeteer-core, for the report.html tests. */
import { accessSync, constants, mkdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import puppeteer, { type Browser } from 'puppeteer-core';

/** Debian's Chromium: `chromium` or `chromium-browser` on PATH, else /usr/bin/chromium; undefined if none. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const onPath = (env.PATH ?? '')
    .split(path.delimiter)
    .filter(Boolean)
    .flatMap((dir) => ['chromium', 'chromium-browser'].map((b) => path.join(dir, b)));
  return [...onPath, '/usr/bin/chromium'].find((file) => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Launches headless Chromium; fails (never skips) with the install command when it is missing. */
export async function launchChromium(): Promise<Browser> {
  const executablePath = findChromium();
  if (!executablePath) {
    throw new Error(
      'Chromium not found (looked for chromium and chromium-browser on PATH and /usr/bin/chromium): run `apt-get install -y chromium` (.ci/run installs it when missing)',
    );
  }
  return puppeteer.launch({
    executablePath,
    headless: true,
    args: ['--headless=new', '--no-sandbox', '--disable-gpu'],
  });
}

const CANVAS_STATS = `Array.from(document.querySelectorAll('canvas')).map((c) => {
  const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let painted = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted++;
  const blank = document.createElement('canvas');
  blank.width = c.width;
  blank.height = c.height;
  return { id: c.id, width: c.width, height: c.height, painted, differsFromBlank: c.toDataURL() !== blank.toDataURL() };
})`;

/** What a report.html page did in the browser. */
export interface RenderedPage {
  url: string;
  /** Every request the page made (only its own file:// URL is let through). */
  requests: string[];
  /** Page errors and console errors or warnings. */
  problems: string[];
  /** `document.body.dataset.chartsRendered`. */
  rendered: number;
  canvases: Array<{ id: string; width: number; height: number; painted: number; differsFromBlank: boolean }>;
  /** Evaluates an expression in the page (e.g. to read a Chart.js instance). */
  evaluate(expression: string): Promise<unknown>;
  close(): Promise<void>;
}

/** Opens a report.html file, waits until its charts are drawn, saves a full-page screenshot. */
export async function openReport(browser: Browser, file: string, screenshot: string): Promise<RenderedPage> {
  const url = pathToFileURL(file).href;
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900, deviceScaleFactor: 1 });
  const requests: string[] = [];
  const problems: string[] = [];
  await page.setRequestInterception(true);
  page.on('request', (req) => {
    requests.push(req.url());
    void (req.url() === url ? req.continue() : req.abort());
  });
  page.on('pageerror', (err) => problems.push(`page error: ${String(err)}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' || msg.type() === 'warn') problems.push(`console ${msg.type()}: ${msg.text()}`);
  });
  await page.goto(url, { waitUntil: 'load', timeout: 30_000 });
  await page.waitForFunction('document.body.dataset.chartsRendered !== undefined', { timeout: 30_000 });
  const rendered = Number(await page.evaluate('document.body.dataset.chartsRendered'));
  const canvases = (await page.evaluate(CANVAS_STATS)) as RenderedPage['canvases'];
  mkdirSync(path.dirname(screenshot), { recursive: true });
  await page.screenshot({ path: screenshot as `${string}.png`, fullPage: true });
  return { url, requests, problems, rendered, canvases, evaluate: (e) => page.evaluate(e), close: () => page.close() };
}
