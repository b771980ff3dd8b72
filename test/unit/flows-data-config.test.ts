import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dataRef, parseDataText } from '../../src/config/data-file';
import { loadCampaign, parseCampaignYaml } from '../../src/config/load';
import { compileFlows, scenarioRequests } from '../../src/config/scenario';
import { ConfigError } from '../../src/core/errors';
import { splitScope } from '../../src/core/thresholds';
import { DataFeed, type DataSourceRun } from '../../src/engine/data-feed';
import { yamlProblems } from '../helpers/config';
import type { LoadPlan } from '../../src/config/load-plan';
import type { ThresholdEntry } from '../../src/config/schema';
import { Metrics } from '../../src/engine/metrics';
import { summarizePhase } from '../../src/engine/summary';

const FLOWS = `apiVersion: readiness/v1
name: shop
target: { baseUrl: http://127.0.0.1:8080 }
scenario:
  thinkTime: 1s
  data:
    accounts: { file: accounts.csv, mode: unique }
  requests:
    - name: login
      method: POST
      path: /login
      json: { email: "{{accounts.email}}", password: "{{accounts.password}}" }
      capture: { token: token }
  flows:
    - name: checkout
      weight: 3
      thinkTime: 200ms
      steps:
        - request: login
          thinkTime: 2s
        - name: create-order
          method: POST
          path: /orders
          headers: { Authorization: "Bearer {{token}}" }
          capture: { orderId: id }
        - { name: read-order, method: GET, path: "/orders/{{orderId}}", headers: { Authorization: "Bearer {{token}}" } }
    - name: browse
      steps: [{ name: list, method: GET, path: /orders }]
baseline:
  phases: [{ name: smoke, users: 5, duration: 10s }]
  thresholds: ["p(95)<2000 {flow: checkout}", { threshold: "error_rate<0.05", flow: browse }, "p(95)<300 {endpoint: list}"]
`;

const edit = (from: string, to: string) => {
  if (!FLOWS.includes(from)) throw new Error(`not in the fixture: ${from}`);
  return FLOWS.replace(from, to);
};

describe('flows and data in the campaign file', () => {
  test('when a campaign has flows and a data source, then it validates and its steps resolve to requests and think times', () => {
    const c = parseCampaignYaml(FLOWS);
    expect(c.scenario.flows?.map((f) => [f.name, f.weight, f.onStepFailure])).toEqual([
      ['checkout', 3, 'stop'],
      ['browse', 1, 'stop'],
    ]);
    expect(c.scenario.data?.accounts).toEqual({ file: 'accounts.csv', mode: 'unique', onExhausted: 'stop' });
    expect(scenarioRequests(c.scenario).map((r) => r.name)).toEqual(['login', 'create-order', 'read-order', 'list']);
    const [checkout, browse] = compileFlows(c.scenario);
    // A step's own think time, else the flow's, else the scenario's.
    expect(checkout!.steps.map((s) => [s.request.name, s.thinkMs])).toEqual([
      ['login', 2000],
      ['create-order', 200],
      ['read-order', 200],
    ]);
    expect(browse!.steps.map((s) => s.thinkMs)).toEqual([1000]);
  });

  test('when a campaign has neither requests nor flows, then it says it needs one', () => {
    expect(
      yamlProblems(`apiVersion: readiness/v1
name: t
target: { baseUrl: http://127.0.0.1:8080 }
scenario: { thinkTime: 1s }
`),
    ).toEqual(['scenario.requests: scenario needs at least one request or one flow']);
  });

  test.each([
    [
      '- request: login\n          thinkTime: 2s',
      '- request: logon',
      'scenario.flows[0].steps[0].request: unknown request "logon": name one of scenario.requests (login) or write the request in place',
    ],
    [
      '{ name: list, method: GET, path: /orders }',
      '{ name: login, method: GET, path: /orders }',
      'scenario.flows[1].steps[0].name: duplicate request name "login" (also at scenario.requests[0]): requests and flow steps share names',
    ],
    ['- name: browse', '- name: checkout', 'scenario.flows[1].name: duplicate flow name "checkout" (also at index 0)'],
    [
      '"/orders/{{orderId}}"',
      '"/orders/{{orderNo}}"',
      'scenario.flows[0].steps[2].path: unknown variable "{{orderNo}}": define it under scenario.vars, capture it from an earlier response, or name a scenario.data column',
    ],
    [
      '"{{accounts.email}}"',
      '"{{users.email}}"',
      'scenario.requests[0].json: unknown variable "{{users.email}}": define it under scenario.vars, capture it from an earlier response, or name a scenario.data column',
    ],
    [
      '"p(95)<2000 {flow: checkout}"',
      '"p(95)<2000 {flow: checkin}"',
      'baseline.thresholds[0]: unknown flow "checkin": use a name from scenario.flows',
    ],
    [
      '{ threshold: "error_rate<0.05", flow: browse }',
      '{ threshold: "error_rate<0.05", flow: browse, endpoint: list }',
      'baseline.thresholds[1]: a threshold is scoped to an endpoint or to a flow, not both',
    ],
    [
      '"p(95)<2000 {flow: checkout}"',
      '"p95<2000 {flow: checkout}"',
      'baseline.thresholds[0]: invalid threshold "p95<2000"',
    ],
    [
      'mode: unique',
      'mode: shuffled',
      'scenario.data.accounts.mode: Invalid option: expected one of "sequential"|"random"|"unique"',
    ],
    [
      'steps: [{ name: list, method: GET, path: /orders }]',
      'steps: []',
      'scenario.flows[1].steps: a flow needs at least one step',
    ],
    [
      'headers: { Authorization: "Bearer {{token}}" }\n          capture',
      'headers: { Authorization: "Bearer abc123" }\n          capture',
      'scenario.flows[0].steps[1].headers.Authorization: header "Authorization" looks secret',
    ],
  ])('when %s becomes %s, then the problem names the field', (from, to, problem) => {
    const problems = yamlProblems(edit(from, to));
    expect(problems.some((p) => p.startsWith(problem))).toBe(true);
  });

  test('when a secret-looking header takes a placeholder from scenario.vars, or a target header is a template, then it is refused', () => {
    const fromVars = yamlProblems(
      FLOWS.replace('  data:', '  vars: { t: { list: [sk_live_abc] } }\n  data:').replace(
        'headers: { Authorization: "Bearer {{token}}" }\n          capture',
        'headers: { Authorization: "Bearer {{t}}" }\n          capture',
      ),
    );
    expect(fromVars).toContain(
      'scenario.flows[0].steps[1].headers.Authorization: header "Authorization" looks secret and takes {{t}} from scenario.vars, which the campaign file holds literally: capture it from a response, read it from a data file, or give the header as { fromEnv: VAR_NAME }',
    );
    const onTarget = yamlProblems(
      FLOWS.replace(
        'baseUrl: http://127.0.0.1:8080 }',
        'baseUrl: http://127.0.0.1:8080, headers: { Authorization: "Bearer {{token}}" } }',
      ),
    );
    expect(onTarget).toContain(
      'target.headers.Authorization: header "Authorization" looks secret: give it as { fromEnv: VAR_NAME }, never as a literal value',
    );
  });

  test.each([
    ['p(95)<2000 {flow: checkout}', { expr: 'p(95)<2000', flow: 'checkout' }],
    ['error_rate<0.01 { endpoint : login }', { expr: 'error_rate<0.01', endpoint: 'login' }],
    ['p(95)<2000', { expr: 'p(95)<2000' }],
  ])('when a threshold reads %s, then its scope is split off', (text, parts) => {
    expect(splitScope(text)).toEqual(parts);
  });
});

describe('data files', () => {
  test('when a CSV has a header and rows, then its columns and rows are read, quotes and all', () => {
    const t = parseDataText('\ufeffemail,name\na@x.test,"Doe, Jane"\nb@x.test,Bob\n', 'csv');
    expect(t).toEqual({
      columns: ['email', 'name'],
      rows: [
        ['a@x.test', 'Doe, Jane'],
        ['b@x.test', 'Bob'],
      ],
    });
  });

  test('when a JSON-lines file has objects, then its columns are the union of their keys', () => {
    expect(parseDataText('{"id":1,"email":"a@x"}\n\n{"id":2,"tier":"gold"}\n', 'jsonl')).toEqual({
      columns: ['id', 'email', 'tier'],
      rows: [
        ['1', 'a@x', ''],
        ['2', '', 'gold'],
      ],
    });
  });

  test.each([
    ['email,name\na,b,c\n', 'csv', 'not a valid CSV'],
    ['email\n', 'csv', 'no rows: the file has a header but no data'],
    ['', 'csv', 'the file is empty'],
    ['e-mail\nx\n', 'csv', 'column "e-mail": a column name is letters, digits and _'],
    ['{"a":{"b":1}}\n', 'jsonl', 'line 1: column "a" is not a string or a number'],
    ['[1,2]\n', 'jsonl', 'line 1: a JSON-lines row is an object'],
    ['{oops\n', 'jsonl', 'line 1: not JSON'],
    ['a\n"x\u0000y"\n', 'csv', 'row 1, column "a": holds a NUL character'],
  ])('when the file is %j (%s), then it is refused: %s', (text, format, problem) => {
    const t = parseDataText(text, format as 'csv' | 'jsonl');
    expect('problems' in t && t.problems.some((p) => p.includes(problem))).toBe(true);
  });

  test('when the CLI reads a campaign, then each data source gets its ref, rows and columns, and the tables are returned by ref', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'data-'));
    writeFileSync(path.join(dir, 'accounts.csv'), 'email,password\na@x.test,pa\nb@x.test,pb\n');
    writeFileSync(path.join(dir, 'c.yaml'), FLOWS);
    const { campaign, tables } = await loadCampaign(path.join(dir, 'c.yaml'));
    const src = campaign.scenario.data!.accounts!;
    expect(src).toEqual(expect.objectContaining({ rows: 2, columns: ['email', 'password'] }));
    expect(src.ref).toMatch(/^[0-9a-f]{64}$/);
    expect(tables.get(src.ref!)).toEqual({
      columns: ['email', 'password'],
      rows: [
        ['a@x.test', 'pa'],
        ['b@x.test', 'pb'],
      ],
    });
    expect(dataRef(tables.get(src.ref!)!)).toBe(src.ref);
  });

  test.each([
    [
      'email,pass\na,b\n',
      'accounts.csv',
      'scenario.data.accounts: request login: json uses {{accounts.password}}, but the file has no column "password" (columns: email, pass)',
    ],
    ['email,password\na,b\n', 'missing.csv', 'scenario.data.accounts.file: cannot read missing.csv: ENOENT'],
    [
      'email,password\na,b\n',
      'accounts.txt',
      'scenario.data.accounts.file: accounts.txt: a data file is .csv (with a header row) or .jsonl (JSON lines)',
    ],
  ])(
    'when the data file is wrong (%j as %s), then nothing loads and the problem names the source',
    async (text, name, problem) => {
      const dir = mkdtempSync(path.join(tmpdir(), 'data-'));
      writeFileSync(path.join(dir, name === 'missing.csv' ? 'other.csv' : name), text);
      writeFileSync(path.join(dir, 'c.yaml'), FLOWS.replace('accounts.csv', name));
      const err = await loadCampaign(path.join(dir, 'c.yaml')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems.map((p) => `${p.path}: ${p.message}`)).toContain(problem);
    },
  );

  test('when a column used in a header holds a line break, then the file is refused (no header injection)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'data-'));
    writeFileSync(path.join(dir, 'accounts.csv'), 'email,password,key\na,b,"x\r\nX-Evil: 1"\n');
    writeFileSync(
      path.join(dir, 'c.yaml'),
      FLOWS.replace('path: /orders }]', 'path: /orders, headers: { X-Key: "{{accounts.key}}" } }]'),
    );
    const err = (await loadCampaign(path.join(dir, 'c.yaml')).catch((e: unknown) => e)) as ConfigError;
    expect(err.problems.map((p) => p.message)).toContain(
      'row 1, column "key" has a control character (line break?) and is used in a header (request list: headers.X-Key)',
    );
  });
});

describe('data feeds', () => {
  const rows = (n: number) => ({ columns: ['i'], rows: Array.from({ length: n }, (_, i) => [String(i)]) });
  const feed = (source: DataSourceRun, slice: number, slices: number, thread: number, threads: number) => {
    const counters = { rowsUsed: 0, wrapped: 0, exhausted: 0 };
    return { f: new DataFeed('d', source, { slice, slices, thread, threads }, () => counters), counters };
  };

  test('when unique rows are split over 2 generators of 3 threads, then every row goes to exactly one thread, and then they run out', () => {
    const source: DataSourceRun = { table: rows(100), mode: 'unique', onExhausted: 'stop' };
    const taken: number[] = [];
    const all = [0, 1].flatMap((g) => [0, 1, 2].map((t) => feed(source, g, 2, t, 3)));
    for (const { f } of all)
      for (let i = f.nextIndex(Math.random); i !== undefined; i = f.nextIndex(Math.random)) taken.push(i);
    expect(taken.sort((a, b) => a - b)).toEqual([...Array(100).keys()]);
    expect(all.reduce((n, x) => n + x.counters.exhausted, 0)).toBe(6);
  });

  test('when a sequential feed fills a session, then it sets source.column and starts at its thread share', () => {
    const source: DataSourceRun = { table: rows(10), mode: 'sequential', onExhausted: 'stop' };
    const { f, counters } = feed(source, 1, 2, 0, 1);
    const session: Record<string, string | number> = {};
    expect(f.fill(session, Math.random)).toBe(true);
    expect(session).toEqual({ 'd.i': '5' });
    for (let i = 0; i < 10; i++) f.fill(session, Math.random);
    expect(counters).toEqual({ rowsUsed: 11, wrapped: 1, exhausted: 0 });
  });
});

describe('flow thresholds', () => {
  const summary = (record: (m: Metrics) => void, thresholds: ThresholdEntry[]) => {
    const m = new Metrics();
    record(m);
    return summarizePhase({
      name: 'p',
      plan: { model: 'closed', users: 1, durationMs: 10_000 } as LoadPlan,
      metrics: m,
      elapsedMs: 10_000,
      health: { threads: 1, eventLoopDelayP99Ms: 1, eluMean: 0.1, schedulerLagP99Ms: 0 },
      generators: 1,
      thresholds,
      aborted: false,
      resumedFromMs: 0,
      attempt: 1,
    });
  };

  test('when every journey failed, then a latency threshold on the flow fails (no evidence), not passes on an empty histogram', () => {
    const s = summary(
      (m) => {
        m.record('login', 200, true, 1000);
        for (let i = 0; i < 10; i++) m.recordFlow('checkout', 5000, 'pay');
      },
      ['p(95)<2000 {flow: checkout}', 'error_rate<0.5 {flow: checkout}'],
    );
    expect(s.thresholds.map((t) => [t.threshold, t.flow, t.ok])).toEqual([
      ['p(95)<2000', 'checkout', false],
      ['error_rate<0.5', 'checkout', false],
    ]);
    expect(s.flows).toEqual([
      expect.objectContaining({ name: 'checkout', iterations: 10, failedIterations: 10, failedSteps: { pay: 10 } }),
    ]);
  });

  test('when journeys pass, then the flow threshold judges their durations and rps counts passed journeys a second', () => {
    const s = summary(
      (m) => {
        for (let i = 0; i < 20; i++) m.recordFlow('checkout', 1_500_000);
        m.recordFlow('checkout', 9_000_000, 'pay');
      },
      ['p(95)<2000 {flow: checkout}', { threshold: 'rps>1.9', flow: 'checkout', abortOnFail: false }],
    );
    expect(s.thresholds.map((t) => [t.ok, t.observed])).toEqual([
      [true, 1500.159],
      [true, 2],
    ]);
  });
});
