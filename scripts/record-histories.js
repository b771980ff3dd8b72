// Records the workflow histories the replay test (test/integration/replay.test.ts) replays: runs the demo
// campaign (`readiness demo --scale 0.1`), reopens its persisted Temporal dev server and writes the
// histories of the campaign and its stress and spike children to test/fixtures/histories/ as JSON.
// Re-record after an intentional, patched() change:  npm run build && node scripts/record-histories.js
const { spawnSync } = require('node:child_process');
const { mkdtempSync, mkdirSync, writeFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const path = require('node:path');
const { resolveTemporalCli, startDevServer } = require('../dist/infra/temporal-cli');
const { freePort } = require('../dist/infra/process');
const { cacheBinDir } = require('../dist/infra/paths');

async function main() {
  const root = path.join(__dirname, '..');
  const dataDir = mkdtempSync(path.join(tmpdir(), 'readiness-record-'));
  const demo = spawnSync(
    process.execPath,
    [path.join(root, 'bin', 'readiness.js'), 'demo', '--scale', '0.1', '--json', '--data-dir', dataDir],
    {
      env: { ...process.env, DATABASE_URL: '' },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  if (demo.status !== 0) throw new Error(`demo exited ${demo.status}`);
  const { campaignId } = JSON.parse(demo.stdout.trim().split('\n').pop());
  const cli = await resolveTemporalCli({ cacheDir: cacheBinDir(), allowDownload: false });
  const server = await startDevServer({
    binary: cli.path,
    dbFile: path.join(dataDir, 'temporal.db'),
    port: await freePort(),
    uiPort: await freePort(),
    logFile: path.join(dataDir, 'record.log'),
  });
  try {
    const out = path.join(root, 'test', 'fixtures', 'histories');
    mkdirSync(out, { recursive: true });
    for (const [name, workflowId] of [
      ['demo-campaign', campaignId],
      ['demo-stress', `${campaignId}-stress`],
      ['demo-spike', `${campaignId}-spike`],
    ]) {
      // The CLI's JSON is what historyFromJSON (and the Web UI's download) reads.
      const show = spawnSync(
        cli.path,
        ['workflow', 'show', '--workflow-id', workflowId, '--address', server.address, '--output', 'json'],
        { encoding: 'utf8', maxBuffer: 64 << 20 },
      );
      if (show.status !== 0) throw new Error(`temporal workflow show ${workflowId}: ${show.stderr}`);
      const history = JSON.parse(show.stdout);
      writeFileSync(path.join(out, `${name}.json`), `${JSON.stringify({ workflowId, ...history })}\n`);
      process.stdout.write(`${name}: ${history.events.length} events\n`);
    }
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
