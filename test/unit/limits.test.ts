import { HISTORY_LIMITS, linearStepCount } from '../../src/config/limits';
import { validateCampaign } from '../../src/config/validate';
import { MINIMAL_YAML, yamlProblems } from '../helpers/config';

const requests = (n: number) =>
  `scenario: { requests: [${Array.from({ length: n }, (_, i) => `{ name: r${i}, method: GET, path: /r/${i} }`).join(', ')}] }`;

describe('history bounds of a campaign', () => {
  test.each([
    [
      '101 requests',
      `${MINIMAL_YAML.replace(/scenario: .*\n/, '')}${requests(101)}\n`,
      "scenario.requests: 101 requests (flow steps written in place included), at most 100: each is an endpoint in every phase's result",
    ],
    [
      '21 baseline phases',
      `${MINIMAL_YAML}baseline: { phases: [${Array.from({ length: 21 }, (_, i) => `{ name: p${i}, users: 1, duration: 1s }`).join(', ')}] }\n`,
      'baseline.phases: 21 phases, at most 20',
    ],
    [
      '129 generators over the phases',
      `${MINIMAL_YAML}baseline: { phases: [{ name: a, users: 64, duration: 1s, generators: 64 }, { name: b, users: 65, duration: 1s, generators: 64 }, { name: c, users: 1, duration: 1s }] }\n`,
      'baseline.phases: 129 generators over all phases, at most 128',
    ],
    [
      'a ramp of 100,000 steps',
      `${MINIMAL_YAML}stress: { startUsers: 1, stepUsers: 1, maxUsers: 100000 }\n`,
      'stress.stepUsers: the ramp from 1 to 100000 by 1 takes 100000 steps, at most 100: raise stepUsers, narrow the range or use mode: adaptive',
    ],
    [
      'a 60 KiB request body',
      `${MINIMAL_YAML.replace(/scenario: .*\n/, '')}scenario: { requests: [{ name: big, method: POST, path: /, json: { blob: "${'x'.repeat(60 * 1024)}" } }] }\n`,
      /^\(file\): the campaign and its checklist are 7\d KiB as JSON, at most 48 KiB/,
    ],
  ])(
    'when a campaign has %s, then validation refuses it, naming the field, the figure and why',
    (_what, yaml, message) => {
      const problems = yamlProblems(yaml);
      expect(problems).toHaveLength(1);
      if (typeof message === 'string') expect(problems[0]).toContain(message);
      else expect(problems[0]).toMatch(message);
      expect(problems[0]).toContain("Temporal's warning (10,240 events");
    },
  );

  test('when a campaign sits exactly at every bound, then it is valid', () => {
    const yaml = `${MINIMAL_YAML.replace(/scenario: .*\n/, '')}${requests(100)}
baseline: { phases: [${Array.from({ length: 20 }, (_, i) => `{ name: p${i}, users: 64, duration: 1s, generators: ${i < 2 ? 55 : 1} }`).join(', ')}] }
stress: { startUsers: 100, stepUsers: 10, maxUsers: 1090 }
`;
    expect(yamlProblems(yaml)).toEqual([]);
    expect(linearStepCount({ startUsers: 100, stepUsers: 10, maxUsers: 1090 })).toBe(HISTORY_LIMITS.linearSteps);
  });

  test('when the workflow validates a campaign started before the bounds, then it can leave them out (patched)', () => {
    const campaign = {
      apiVersion: 'readiness/v1',
      name: 'x',
      target: { baseUrl: 'http://127.0.0.1:1' },
      scenario: { requests: [{ name: 'a', method: 'GET', path: '/' }] },
      stress: { startUsers: 1, stepUsers: 1, maxUsers: 5000 },
    };
    expect(validateCampaign(campaign).ok).toBe(false);
    expect(validateCampaign(campaign, { limits: false }).ok).toBe(true);
  });

  test('the defaults and the hand-run ramp fit: 200 to 2,000 by 100 is 19 steps', () => {
    expect(linearStepCount({ startUsers: 200, stepUsers: 100, maxUsers: 2000 })).toBe(19);
  });
});
