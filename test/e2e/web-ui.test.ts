/**
 * The Temporal Web UI explains a campaign: a real worker process runs a small campaign through the CLI to
 * NO_GO, then headless Chromium opens the dev server's own Web UI, lists the workflows matching
 * `ReadinessVerdict="NO_GO"`, finds the campaign (and not a campaign still waiting at its approval gate),
 * opens it and reads its summary, details and current details (User Metadata tab; the current details come
 * from the built-in metadata query, answered by the worker) and its search attributes, then finds the
 * waiting campaign by `ReadinessPhase="approval:baseline"` and reads what it waits for. Screenshots:
 * test-results/web-ui-list.png and test-results/web-ui-campaign.png.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { Client, Connection } from '@temporalio/client';
import type { Browser, Page } from 'puppeteer-core';
import { launchChromium } from '../helpers/browser';
import { runCli, spawnWorker, stopWorker } from '../helpers/cli';
import { testEnv, uid } from '../helpers/env';
import { delayed, startTarget } from '../helpers/target';

const RESULTS = path.join(__dirname, '..', '..', 'test-results');
const OWNER = 'release-manager@example.com';

function uiUrl(): string {
  const url = process.env.READINESS_TEST_TEMPORAL_UI;
  if (!url) throw new Error("READINESS_TEST_TEMPORAL_UI is not set: run tests through jest's global setup");
  return url;
}

let dir: string;
let env: NodeJS.ProcessEnv;
let worker: ChildProcess & { logs: () => string };
let target: Awaited<ReturnType<typeof startTarget>>;
let browser: Browser | undefined;
let connection: Connection;
const started: string[] = [];

function campaignFile(name: string, extra = ''): string {
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `apiVersion: readiness/v1
name: ${name}
owner: ${OWNER}
target: { baseUrl: "${target.url}" }
scenario:
  thinkTime: 10ms
  requests: [{ name: get, method: GET, path: /x }]
baseline:
  phases: [{ name: smoke, users: 3, duration: 2s }]
  thresholds: ["p(95)<500", "error_rate<0.01"]
${extra}`,
  );
  return file;
}

/** The visible text of the page and of its frames (the UI renders markdown summaries in iframes). */
async function text(page: Page): Promise<string> {
  const frames = await Promise.all(
    page.frames().map((f) => f.evaluate('document.body ? document.body.innerText : ""').then(String, () => '')),
  );
  return frames.join('\n');
}

/** Waits until the page (or one of its frames) shows every string in `wanted`; false on timeout. */
async function shows(page: Page, wanted: string[], timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const t = await text(page);
    if (wanted.every((w) => t.includes(w))) return true;
    if (Date.now() >= until) return false;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Opens `url` and waits until the SPA shows every string in `wanted`; reloads while it does not (a list
 * comes from visibility, which may lag the close of a workflow by a moment). Returns the page's text.
 */
async function openUntil(page: Page, url: string, wanted: string[], deadlineMs: number): Promise<string> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 30_000 });
    if (await shows(page, wanted, Math.max(1_000, Math.min(10_000, until - Date.now())))) return text(page);
    if (Date.now() >= until)
      throw new Error(
        `${url} did not show ${JSON.stringify(wanted)} within ${deadlineMs} ms; it shows:\n${(await text(page)).slice(0, 2000)}`,
      );
  }
}

/** Opens a workflow's page from its row in the workflows list. */
async function openRow(page: Page, workflowId: string): Promise<void> {
  const prefix = `/namespaces/default/workflows/${encodeURIComponent(workflowId)}/`;
  await page.waitForSelector(`a[href^="${prefix}"]`, { timeout: 15_000 });
  await Promise.all([
    page.waitForFunction(`location.pathname.startsWith(${JSON.stringify(prefix)})`, { timeout: 15_000 }),
    page.click(`a[href^="${prefix}"]`),
  ]);
  expect(await shows(page, [workflowId, 'User Metadata'], 30_000)).toBe(true);
}

/** Clicks the tab (or link) whose href ends with `suffix` and waits for the route to change. */
async function clickTab(page: Page, suffix: string): Promise<void> {
  await page.waitForSelector(`a[href$="${suffix}"]`, { timeout: 15_000 });
  await Promise.all([
    page.waitForFunction(`location.pathname.endsWith(${JSON.stringify(suffix)})`, { timeout: 15_000 }),
    page.click(`a[href$="${suffix}"]`),
  ]);
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(testEnv.dir, 'web-ui-'));
  env = {
    TEMPORAL_ADDRESS: testEnv.temporalAddress,
    DATABASE_URL: testEnv.databaseUrl,
    READINESS_REPORT_DIR: path.join(dir, 'reports'),
    READINESS_LOG_LEVEL: 'warn',
  };
  connection = await Connection.connect({ address: testEnv.temporalAddress });
  target = await startTarget(delayed(2));
  worker = await spawnWorker(env);
});

afterAll(async () => {
  await browser?.close();
  // The gated campaign is still waiting for its approval: end it.
  const client = new Client({ connection });
  for (const id of started)
    await client.workflow
      .getHandle(id)
      .terminate('web-ui test done')
      .catch(() => undefined);
  await connection.close();
  await stopWorker(worker);
  await target.close();
});

describe('the Temporal Web UI', () => {
  test('when a campaign ends NO_GO, then the Web UI lists it under ReadinessVerdict="NO_GO" and its page explains it', async () => {
    const suffix = uid();
    const name = `web-ui-${suffix}`;
    const id = `readiness-${name}`;
    // A second campaign that has not ended: it waits at the approval gate before its baseline (no verdict yet).
    const gatedId = `readiness-web-ui-gated-${suffix}`;
    const gated = await runCli(
      [
        'start',
        campaignFile(`web-ui-gated-${suffix}`, 'gates: [{ before: baseline, timeout: 1h }]\n'),
        '--id',
        gatedId,
        '--data-dir',
        dir,
      ],
      env,
    );
    expect(gated.code).toBe(0);
    started.push(gatedId);

    const r = await runCli(['start', campaignFile(name), '--wait', '--json', '--id', id, '--data-dir', dir], env);
    expect(r.code).toBe(3);
    const result = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(result).toMatchObject({ workflowId: id, decision: 'NO_GO' });

    browser = await launchChromium();
    const page = await browser.newPage();
    await page.setViewport({ width: 1440, height: 1000, deviceScaleFactor: 1 });
    mkdirSync(RESULTS, { recursive: true });

    // The workflows list, filtered by the verdict search attribute: the NO_GO campaign, not the waiting one.
    const ui = uiUrl();
    const list = await openUntil(
      page,
      `${ui}/namespaces/default/workflows?query=${encodeURIComponent('ReadinessVerdict="NO_GO"')}`,
      [id, 'readinessCampaignWorkflow'],
      40_000,
    );
    expect(list).not.toContain(gatedId);
    await page.screenshot({ path: path.join(RESULTS, 'web-ui-list.png'), fullPage: true });

    // The campaign's page, opened from its row in the list: the User Metadata tab shows the summary and
    // details given at start and the current details the workflow keeps (the worker answers the query).
    await openRow(page, id);
    await clickTab(page, '/user-metadata');
    const summary = `readiness campaign ${name} → ${target.url}`;
    const shown = await shows(
      page,
      [summary, `Owner: ${OWNER}`, 'Config hash:', 'Current Details', 'Phase: done', 'Decision: NO_GO'],
      30_000,
    );
    const metadata = await text(page);
    expect({ shown, metadata }).toMatchObject({ shown: true });
    expect(metadata).toMatch(new RegExp(`Decision: NO_GO, score ${result.scorePct}%`));
    await page.screenshot({ path: path.join(RESULTS, 'web-ui-campaign.png'), fullPage: true });

    // Its search attributes: the phase it ended in and the verdict.
    await clickTab(page, '/search-attributes');
    expect(
      await shows(
        page,
        ['"ReadinessPhase": "done"', '"ReadinessVerdict": "NO_GO"', `"ReadinessScore": ${result.scorePct}`],
        15_000,
      ),
    ).toBe(true);

    // The waiting campaign is listed under its own phase, and its current details say what it waits for.
    await openUntil(
      page,
      `${ui}/namespaces/default/workflows?query=${encodeURIComponent(`ReadinessPhase="approval:baseline" AND WorkflowId="${gatedId}"`)}`,
      [gatedId],
      20_000,
    );
    await openRow(page, gatedId);
    await clickTab(page, '/user-metadata');
    expect(await shows(page, ['Phase: baseline', 'Step: waiting for approval until'], 30_000)).toBe(true);
  }, 90_000);
});
