/**
 * Replay: the recorded histories of the demo campaign and its stress and spike children
 * (test/fixtures/histories, recorded by scripts/record-histories.js) must replay against the current
 * workflow code. A change that would break a campaign already running fails here; make such changes
 * with patched() and re-record. Needs `npm run build` (replays the prebuilt workflow bundle).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DeterminismViolationError } from '@temporalio/workflow';
import { Worker } from '@temporalio/worker';

const DIR = path.join(__dirname, '..', 'fixtures', 'histories');
const BUNDLE = { workflowBundle: { codePath: path.join(__dirname, '..', '..', 'dist', 'workflow-bundle.js') } };

function load(file: string): { workflowId: string; events: Array<Record<string, unknown>> } {
  return JSON.parse(readFileSync(path.join(DIR, file), 'utf8'));
}

describe('replaying recorded campaign histories', () => {
  const files = readdirSync(DIR)
    .filter((f) => f.endsWith('.json'))
    .sort();

  test('the demo campaign and both child workflows are recorded', () => {
    expect(files).toEqual(['demo-campaign.json', 'demo-spike.json', 'demo-stress.json']);
  });

  test.each(files)(
    'when %s is replayed on the current workflow code, then it is deterministic',
    async (file) => {
      const { workflowId, ...history } = load(file);
      await Worker.runReplayHistory(BUNDLE, history, workflowId);
    },
    60_000,
  );

  test('when a recorded history disagrees with the code (an activity renamed), then replay fails with a determinism violation', async () => {
    const { workflowId, events } = load('demo-campaign.json');
    const tampered = events.map((e) => {
      const attrs = e.activityTaskScheduledEventAttributes as { activityType?: { name: string } } | undefined;
      return attrs?.activityType?.name === 'recordCampaignStart'
        ? {
            ...e,
            activityTaskScheduledEventAttributes: { ...attrs, activityType: { name: 'recordCampaignStartRenamed' } },
          }
        : e;
    });
    await expect(Worker.runReplayHistory(BUNDLE, { events: tampered }, workflowId)).rejects.toBeInstanceOf(
      DeterminismViolationError,
    );
  }, 60_000);
});
