import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseCampaignYaml, loadCampaignFile, validateCampaign } from '../../src/config/load';
import { demoCampaign } from '../../src/config/defaults';
import { MINIMAL_YAML, yamlProblems } from '../helpers/config';

const VALID = `
apiVersion: readiness/v1
name: checkout
target:
  baseUrl: http://127.0.0.1:8080
  headers:
    Authorization: { fromEnv: CHECKOUT_TOKEN }
scenario:
  thinkTime: 100ms
  vars:
    id: { range: [1, 100] }
  requests:
    - { name: get-order, method: GET, path: "/orders/{{id}}", weight: 3 }
    - { name: create-order, method: POST, path: /orders, json: { sku: x }, expect: { status: 201 } }
baseline:
  phases:
    - { name: smoke, users: 10, duration: 30s }
  thresholds: ["p(95)<500", "error_rate<0.01"]
`;

const problemsOf = yamlProblems;

describe('campaign validation', () => {
  test('when the file is valid, then defaults are applied and secrets stay references', () => {
    const c = parseCampaignYaml(VALID);
    expect(c.target.healthPath).toBe('/health');
    expect(c.scenario.requests[1].weight).toBe(1);
    expect(c.target.headers).toEqual({ Authorization: { fromEnv: 'CHECKOUT_TOKEN' } });
    expect(c.settings.heartbeatTimeout).toBe('20s');
  });

  test.each([
    ['apiVersion: readiness/v1', 'apiVersion: v2', 'apiVersion: apiVersion must be "readiness/v1"'],
    ['users: 10', 'users: -5', 'baseline.phases[0].users: users must be at least 1'],
    ['users: 10', 'users: ten', 'baseline.phases[0].users:'],
    ['duration: 30s', 'duration: 30 seconds', 'baseline.phases[0].duration: invalid duration'],
    ['duration: 30s', 'duration: 0s', 'baseline.phases[0].duration: duration must be greater than zero'],
    ['"p(95)<500"', '"p95<500"', 'baseline.thresholds[0]: invalid threshold "p95<500"'],
    ['thinkTime: 100ms', 'thinkTime: 100ms\n  thinktime: 1s', 'scenario.thinktime: unknown field'],
    [
      'baseUrl: http://127.0.0.1:8080',
      'baseUrl: ftp://x',
      'target.baseUrl: baseUrl must be an http:// or https:// URL',
    ],
    [
      'Authorization: { fromEnv: CHECKOUT_TOKEN }',
      'Authorization: Bearer abc',
      'target.headers.Authorization: header "Authorization" looks secret',
    ],
    [
      'Authorization: { fromEnv: CHECKOUT_TOKEN }',
      'Authorization: { fromEnv: "lower case" }',
      'target.headers.Authorization.fromEnv: must be an environment variable name',
    ],
    ['path: "/orders/{{id}}"', 'path: "/orders/{{nope}}"', 'scenario.requests[0].path: unknown variable "{{nope}}"'],
    ['name: create-order', 'name: get-order', 'scenario.requests[1].name: duplicate request name "get-order"'],
    ['method: POST', 'method: FETCH', 'scenario.requests[1].method:'],
    ['name: checkout', 'name: Checkout Service', 'name: name must be lowercase'],
    [
      'id: { range: [1, 100] }',
      'id: { range: [100, 1] }',
      'scenario.vars.id: range must be [min, max] with min <= max',
    ],
    ['id: { range: [1, 100] }', 'id: { from: 1 }', 'scenario.vars.id: a variable is either'],
    ['baseline:\n', 'stres: {}\nbaseline:\n', 'stres: unknown field'],
  ])('when %p becomes %p, then the problem reads "%s"', (from, to, expected) => {
    expect(VALID.includes(from)).toBe(true);
    const problems = problemsOf(VALID.replace(from, to));
    expect(problems.some((p) => p.startsWith(expected))).toBe(true);
  });

  test('when a file has several problems, then every one is listed', () => {
    const text = VALID.replace('users: 10', 'users: 0')
      .replace('duration: 30s', 'duration: forever')
      .replace('"p(95)<500"', '"p(95)<<500"')
      .replace('thinkTime: 100ms', 'thinkTime: 100ms\n  colour: blue');
    const problems = problemsOf(text);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^baseline\.phases\[0\]\.users:/),
        expect.stringMatching(/^baseline\.phases\[0\]\.duration:/),
        expect.stringMatching(/^baseline\.thresholds\[0\]:/),
        'scenario.colour: unknown field',
      ]),
    );
    expect(problems.length).toBeGreaterThanOrEqual(4);
  });

  test.each([
    ['YAML syntax error', 'name: [unclosed', /^line \d+:\d+:/],
    ['duplicate keys', 'name: a\nname: b', /^line \d+:\d+: Map keys must be unique/],
    [
      'alias bomb',
      'a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]',
      /^\(yaml\): .*[Aa]lias/,
    ],
    ['a scalar document', '42', /^\(root\):/],
    ['a huge file', `name: x\n#${'x'.repeat(1024 * 1024 + 10)}`, /^\(file\): file is larger than/],
  ])('when the file is %s, then it is rejected with a located problem', (_what, text, pattern) => {
    const problems = problemsOf(text);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]).toMatch(pattern);
  });

  test.each([
    [
      'stress',
      'stress: { recovery: { within: 3s, windows: 3, window: 2s } }',
      'stress.recovery.within: recovery.within (3s) is shorter than windows x window (3 x 2s): a recovery could never be seen',
    ],
    [
      'spike',
      'spike: { users: 50, duration: 5s, recovery: { within: 9s, windows: 2, window: 5s } }',
      'spike.recovery.within: recovery.within (9s) is shorter than windows x window (2 x 5s): a recovery could never be seen',
    ],
  ])(
    'when the %s recovery cannot fit its good windows in its time, then validation says so',
    (_what, section, problem) => {
      expect(yamlProblems(`${MINIMAL_YAML}${section}\n`)).toEqual([problem]);
      expect(yamlProblems(`${MINIMAL_YAML}${section.replace(/within: \d+s/, 'within: 1m')}\n`)).toEqual([]);
    },
  );

  test.each([0.01, 0.05, 0.1, 0.3, 1, 3])('when the demo campaign is built at scale %s, then it is valid', (scale) => {
    expect(() => demoCampaign('http://127.0.0.1:1', scale)).not.toThrow();
  });

  test('when the file does not exist, then the problem says it cannot be read', async () => {
    await expect(loadCampaignFile('/nonexistent/campaign.yaml')).rejects.toThrow(/cannot read: ENOENT/);
  });

  test('when the example and demo campaigns are validated, then they pass', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cfg-'));
    writeFileSync(path.join(dir, 'c.yaml'), VALID);
    await expect(loadCampaignFile(path.join(dir, 'c.yaml'))).resolves.toMatchObject({ name: 'checkout' });
    await expect(
      loadCampaignFile(path.join(__dirname, '..', '..', 'examples', 'campaign.yaml')),
    ).resolves.toMatchObject({ apiVersion: 'readiness/v1' });
    expect(demoCampaign('http://127.0.0.1:1', 0.1).baseline?.phases.map((p) => p.duration)).toEqual([
      '1s',
      '2s',
      '2s',
      '3s',
    ]);
  });
});

describe('validation inside the workflow', () => {
  // The campaign workflow validates its input again; for the campaigns the CLI started to replay unchanged,
  // validating a validated campaign must give it back exactly.
  test("when a validated campaign is validated again, then it comes back unchanged (the workflow's check is idempotent)", async () => {
    const campaigns = [
      parseCampaignYaml(VALID),
      await loadCampaignFile(path.join(__dirname, '..', '..', 'examples', 'campaign.yaml')),
      demoCampaign('http://127.0.0.1:1', 0.1),
      demoCampaign('http://127.0.0.1:1', 1, { databaseEnv: 'DEMO_DB' }),
    ];
    for (const c of campaigns) {
      const again = validateCampaign(JSON.parse(JSON.stringify(c)));
      expect(again).toEqual({ ok: true, campaign: c });
    }
  });
});
