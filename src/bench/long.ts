/**
 * `npm run bench:long`: a day-scale campaign's report. A synthetic 72 h endurance phase is written second by
 * second through the real store path (the TimelineWriter the load activities use, with the default downsampling),
 * then `readiness report` is timed for md, json and html as a user runs it (its own process, its peak RSS read from
 * /proc). A 1 h phase is reported the same way, once downsampled and once with every second kept (how every
 * phase was stored before), to show a short phase is no slower. `--json` prints one JSON line.
 *
 * Uses DATABASE_URL when set, else an embedded PostgreSQL in a temp directory (removed at the end).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TimelineWriter } from '../activities/load/timeline';
import { planFromPhase } from '../config/load-plan';
import { validateCampaign } from '../config/validate';
import { DEFAULT_RESOLUTION, maxRows, type TimelineResolution } from '../core/downsample';
import { encodeHistogram, Metrics, newHistogram, type EncodedWindow } from '../engine/metrics';
import { NO_HEALTH } from '../engine/merge';
import { summarizePhase } from '../engine/summary';
import { createPool, migrate } from '../infra/db';
import { startEmbeddedPostgres } from '../infra/postgres';
import { freePort } from '../infra/process';
import { ResultsStore } from '../infra/results-store';

const json = process.argv.includes('--json');
const HOURS = Number(process.env.BENCH_LONG_HOURS ?? 72);
const log = (line: string) => {
  if (!json) process.stderr.write(`${line}\n`);
};

/** A few distinct per-second histograms (the store path is what is measured, not histogram building). */
function secondPool(): Array<{ requests: number; histogram: string }> {
  return Array.from({ length: 64 }, (_, i) => {
    const h = newHistogram();
    const requests = 40 + (i % 17);
    for (let r = 0; r < requests; r++)
      h.recordValue(2_000 + ((i * 7919 + r * 104_729) % 60_000) + (r % 20 === 0 ? 150_000 : 0));
    return { requests, histogram: encodeHistogram(h) };
  });
}

/** Writes one phase of `seconds` seconds through the TimelineWriter, a minute at a time; errors in a few bursts. */
async function writePhase(
  store: ResultsStore,
  campaignId: string,
  phase: string,
  seconds: number,
  resolution: TimelineResolution | undefined,
): Promise<number> {
  const pool = secondPool();
  const writer = new TimelineWriter({ store, campaignId, phase, slice: 0, ...(resolution ? { resolution } : {}) });
  let requests = 0;
  for (let at = 0; at < seconds; at += 60) {
    const batch: EncodedWindow[] = [];
    for (let s = at; s < Math.min(seconds, at + 60); s++) {
      const p = pool[s % pool.length]!;
      // A burst of errors every 6 hours (events that keep their detail).
      const errors = s % 21_600 >= 10_000 && s % 21_600 < 10_005 ? 3 : 0;
      batch.push({ second: s, requests: p.requests, errors, histogram: p.histogram });
      requests += p.requests;
    }
    await writer.write(batch);
  }
  await writer.finish();
  return requests;
}

/** Runs `readiness report` and reads its time, output size and peak RSS (VmHWM, polled from /proc). */
function timeReport(
  campaignId: string,
  format: string,
  out: string,
  env: NodeJS.ProcessEnv,
): Promise<{ ms: number; bytes: number; peakRssMb: number }> {
  const cli = path.join(__dirname, '..', '..', 'bin', 'readiness.js');
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const c = spawn(process.execPath, [cli, 'report', campaignId, '--format', format, '--out', out], {
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    c.stderr.on('data', (d) => (err += d));
    let peakKb = 0;
    const poll = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${c.pid}/status`, 'utf8'));
        if (m) peakKb = Math.max(peakKb, Number(m[1]));
      } catch {
        /* exited */
      }
    }, 20);
    c.on('exit', (code) => {
      clearInterval(poll);
      const ms = performance.now() - started;
      if (code !== 0) return reject(new Error(`readiness report exited ${code}: ${err}`));
      resolve({ ms: Math.round(ms), bytes: statSync(out).size, peakRssMb: Math.round(peakKb / 1024) });
    });
  });
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'readiness-bench-long-'));
  let stopPg: (() => Promise<void>) | undefined;
  try {
    let databaseUrl = process.env.DATABASE_URL;
    if (!databaseUrl) {
      const pg = await startEmbeddedPostgres({ dir: path.join(dir, 'postgres'), port: await freePort() });
      stopPg = () => pg.stop();
      databaseUrl = pg.url;
    }
    await migrate(databaseUrl);
    const pool = createPool(databaseUrl, 4);
    const store = new ResultsStore(pool);
    const env = { ...process.env, DATABASE_URL: databaseUrl, READINESS_OUT_DIRS: dir };

    /** A finished campaign with one baseline phase of `hours`, its timeline written as `resolution` says. */
    const campaign = async (name: string, hours: number, resolution: TimelineResolution | undefined) => {
      const v = validateCampaign({
        apiVersion: 'readiness/v1',
        name,
        target: { baseUrl: 'http://127.0.0.1:8080' },
        scenario: { requests: [{ name: 'get', method: 'GET', path: '/' }] },
        baseline: { phases: [{ name: 'endurance', users: 20, duration: `${hours}h` }], thresholds: ['p(95)<500'] },
      });
      if (!v.ok) throw new Error(JSON.stringify(v.problems));
      const campaignId = `bench-long-${name}-${Date.now()}`;
      const startedAt = new Date().toISOString();
      await store.upsertCampaign({ campaignId, campaign: v.campaign, configHash: 'bench', startedAt });
      const t0 = performance.now();
      const requests = await writePhase(store, campaignId, 'endurance', hours * 3600, resolution);
      const writeS = (performance.now() - t0) / 1000;
      const metrics = new Metrics();
      for (let i = 0; i < 100_000; i++) metrics.record('get', 200, true, 2_000 + ((i * 104_729) % 60_000));
      const phase = v.campaign.baseline!.phases[0]!;
      const result = summarizePhase({
        name: 'endurance',
        plan: planFromPhase(phase, v.campaign.scenario),
        metrics,
        elapsedMs: hours * 3_600_000,
        health: NO_HEALTH,
        generators: 1,
        thresholds: v.campaign.baseline!.thresholds,
        aborted: false,
        resumedFromMs: 0,
        attempt: 1,
      });
      await store.upsertBaselineResult(campaignId, 0, { ...result, requests }, encodeHistogram(metrics.latency()));
      const phases = {
        baseline: { status: 'pass' as const },
        stress: { status: 'not_run' as const },
        spike: { status: 'not_run' as const },
        monitoring: { status: 'not_run' as const },
        backup: { status: 'not_run' as const },
        faults: { status: 'not_run' as const },
        checklist: { status: 'not_run' as const },
      };
      await store.finishCampaign({
        campaignId,
        verdict: { decision: 'NO_GO', scorePct: 0, blockers: [], reasons: [] },
        phases,
        finishedAt: new Date().toISOString(),
      });
      return { campaignId, rows: await store.timelineRows(campaignId, 'endurance'), writeS };
    };

    const report = async (campaignId: string) => {
      const out: Record<string, { ms: number; bytes: number; peakRssMb: number }> = {};
      for (const format of ['md', 'json', 'html'])
        out[format] = await timeReport(campaignId, format, path.join(dir, `${campaignId}.${format}`), env);
      return out;
    };

    log(
      `writing a synthetic ${HOURS} h endurance phase (${(HOURS * 3600).toLocaleString('en-US')} seconds) through the store...`,
    );
    const long = await campaign('72h', HOURS, DEFAULT_RESOLUTION);
    log(
      `  ${long.rows.toLocaleString('en-US')} rows (${(HOURS * 3600).toLocaleString('en-US')} seconds) in ${long.writeS.toFixed(1)} s; timing readiness report...`,
    );
    const longReport = await report(long.campaignId);
    log('writing two 1 h phases (downsampled, and every second kept as before) and timing their reports...');
    const hourDown = await campaign('1h', 1, DEFAULT_RESOLUTION);
    const hourFull = await campaign('1h-full', 1, undefined);
    const [hourDownReport, hourFullReport] = [await report(hourDown.campaignId), await report(hourFull.campaignId)];
    await pool.end();

    const reportMs = { md: longReport.md!.ms, json: longReport.json!.ms, html: longReport.html!.ms };
    const result = {
      phaseHours: HOURS,
      secondsPerPhase: HOURS * 3600,
      rowsPerPhase: long.rows,
      rowsBound: maxRows(HOURS * 3600, DEFAULT_RESOLUTION),
      writeS: Math.round(long.writeS * 10) / 10,
      reportMs,
      htmlBytes: longReport.html!.bytes,
      peakRssMb: Math.max(...Object.values(longReport).map((r) => r.peakRssMb)),
      oneHour: {
        rows: hourDown.rows,
        rowsEverySecond: hourFull.rows,
        reportMs: { md: hourDownReport.md!.ms, json: hourDownReport.json!.ms, html: hourDownReport.html!.ms },
        reportMsEverySecond: {
          md: hourFullReport.md!.ms,
          json: hourFullReport.json!.ms,
          html: hourFullReport.html!.ms,
        },
        htmlRatio: Math.round((hourDownReport.html!.ms / hourFullReport.html!.ms) * 100) / 100,
      },
      targets: {
        reportUnder10s: Math.max(...Object.values(reportMs)) < 10_000,
        htmlUnder5MB: longReport.html!.bytes < 5 * 1024 * 1024,
      },
    };
    if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else {
      const line = (k: string, v: string) => process.stdout.write(`${k.padEnd(34)}${v}\n`);
      line(
        `rows stored for a ${HOURS} h phase`,
        `${result.rowsPerPhase.toLocaleString('en-US')} (bound ${result.rowsBound.toLocaleString('en-US')}; ${result.secondsPerPhase.toLocaleString('en-US')} seconds)`,
      );
      line(
        'readiness report md / json / html',
        `${reportMs.md} / ${reportMs.json} / ${reportMs.html} ms (target < 10,000)`,
      );
      line('report.html', `${(result.htmlBytes / 1024 / 1024).toFixed(2)} MB (target < 5 MB)`);
      line('peak RSS of readiness report', `${result.peakRssMb} MB`);
      line(
        '1 h phase: rows',
        `${result.oneHour.rows.toLocaleString('en-US')} (every second: ${result.oneHour.rowsEverySecond.toLocaleString('en-US')})`,
      );
      line(
        '1 h phase: report html',
        `${result.oneHour.reportMs.html} ms (every second: ${result.oneHour.reportMsEverySecond.html} ms; ratio ${result.oneHour.htmlRatio})`,
      );
    }
  } finally {
    await stopPg?.();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:long failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
