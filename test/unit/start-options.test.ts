/** `readiness start` and a Schedule start the campaign workflow the same way (one campaignStartOptions). */
import { campaignStartOptions } from '../../src/cli/campaign-runner';
import { buildScheduleOptions } from '../../src/cli/commands/schedule';
import { demoCampaign } from '../../src/config/defaults';

test('when a campaign is scheduled, then each run starts with the same input, search attributes, memo, summary and details as readiness start', () => {
  const campaign = demoCampaign('http://127.0.0.1:8080', 0.1);
  const s = buildScheduleOptions(campaign, {
    scheduleId: 'weekly-demo',
    cron: '0 3 * * 1',
    timezone: 'UTC',
    catchupWindowMs: 3_600_000,
    source: 'demo.yaml',
  });
  const start = campaignStartOptions(campaign, s.action.workflowId!);
  const { type: _t, workflowType: _w, workflowId: _i, ...action } = s.action;
  expect(action).toEqual(start);
  expect(s.action.staticSummary).toBe('readiness campaign demo → http://127.0.0.1:8080');
  expect(s.action.staticDetails).toContain('**Config hash:**');
  expect(s.memo).toMatchObject({ ...start.memo, cron: '0 3 * * 1', timezone: 'UTC', source: 'demo.yaml' });
});
