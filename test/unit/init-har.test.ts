/**
 * `readiness init --from-har`: a hand-written recording of a shop (test/fixtures/har/shop.har: the page, a stylesheet,
 * a logo, two analytics calls, a login, the user, an order created and read back, an invoice that was not ready) and
 * small recordings built here, each generated campaign parsed back with the campaign loader.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseCampaignYaml } from '../../src/config/load';
import type { Campaign } from '../../src/config/schema';
import { MAX_HAR_STEPS, draftFromHar, harCampaignYaml, idsInBody, parseHar, type HarEntry } from '../../src/init/har';
import { InitInputError } from '../../src/init/input-error';
import { renderCampaignYaml } from '../../src/init/yaml-writer';

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'har', 'shop.har');
const NOW = new Date('2025-06-01T12:00:00Z');

/** The secrets the fixture's recording holds: none may reach the generated file. */
const RECORDED_SECRETS = [
  'eyJhbGciOiJIUzI1NiJ9', // the bearer token (request header and login response)
  'old-cookie-value-7f3a', // the Cookie request header
  'new-cookie-value-88aa', // the Set-Cookie response header
  's3cret-pw', // the login body's password
  'Bearer ',
];

type Step = Extract<NonNullable<Campaign['scenario']['flows']>[number]['steps'][number], { method: string }>;
const steps = (c: Campaign) => c.scenario.flows![0]!.steps as Step[];

/** A minimal entry: `at` ms after a fixed start, taking `time` ms. */
function entry(
  method: string,
  url: string,
  opts: {
    at?: number;
    time?: number;
    status?: number;
    body?: unknown;
    response?: unknown;
    headers?: Record<string, string>;
  } = {},
): HarEntry {
  return {
    startedDateTime: new Date(Date.parse('2025-03-01T10:00:00Z') + (opts.at ?? 0)).toISOString(),
    time: opts.time ?? 10,
    request: {
      method,
      url,
      headers: Object.entries(opts.headers ?? {}).map(([name, value]) => ({ name, value })),
      postData: opts.body === undefined ? undefined : { mimeType: 'application/json', text: JSON.stringify(opts.body) },
    },
    response: {
      status: opts.status ?? 200,
      headers: [],
      content:
        opts.response === undefined
          ? { mimeType: 'text/plain', text: '' }
          : { mimeType: 'application/json', text: JSON.stringify(opts.response) },
    },
  };
}

function generate(entries: HarEntry[], opts: { baseUrl?: string; name?: string } = {}) {
  const text = renderCampaignYaml(draftFromHar(entries, { source: 'inline.har', now: NOW, ...opts }));
  return { text, campaign: parseCampaignYaml(text) };
}

describe('readiness init --from-har', () => {
  let text: string;
  let c: Campaign;
  beforeAll(async () => {
    text = await harCampaignYaml(FIXTURE, { now: NOW });
    c = parseCampaignYaml(text, FIXTURE);
  });

  test('when the shop recording is bootstrapped, then static assets and other origins are dropped and the rest is one flow', () => {
    expect(c.scenario.requests).toEqual([]);
    expect(c.scenario.flows).toHaveLength(1);
    expect(c.scenario.flows![0]).toMatchObject({ name: 'recorded', thinkTime: '0s', onStepFailure: 'stop' });
    expect(steps(c).map((s) => `${s.method} ${s.path}`)).toEqual([
      'GET /',
      'POST /api/login',
      'GET /api/users/{{userId}}',
      'POST /api/orders',
      'GET /api/orders/{{orderId}}',
      'GET /api/orders/{{orderId}}/invoice?format=pdf',
    ]);
    expect(c.target.baseUrl).toBe('https://shop.example.com');
    expect(c.name).toBe('shop-example-com');
    expect(text).toContain(
      '# Kept 6 requests of 10; dropped 3 static assets (scripts, styles, images, fonts), 1 to other origins (https://metrics.analytics.example.net).',
    );
    expect(text).not.toMatch(/google-analytics|app\.css|logo\.png/);
    for (const s of steps(c)) expect(s.path).not.toMatch(/\.css|\.png|collect|track/);
    expect(text.split('\n')[0]).toBe(
      `# Bootstrapped by \`readiness init --from-har\` from ${FIXTURE} at 2025-06-01T12:00:00.000Z.`,
    );
  });

  test('when a response returned an id that a later request sends back, then the earlier step captures it and the later one uses {{var}}', () => {
    const [page, login, user, create, read, invoice] = steps(c);
    expect(page!.capture).toBeUndefined();
    // The login answered {"token": ..., "id": "u-1001"}; the user's path and the order's body send u-1001 back.
    expect(login!.capture).toEqual({ userId: 'id' });
    expect(user!.path).toBe('/api/users/{{userId}}');
    expect(create!.json).toEqual({ userId: '{{userId}}', item: 'book', quantity: 1 });
    // The order was created as {"id": 123}; it is read back and its invoice asked for.
    expect(create!.capture).toEqual({ orderId: 'id' });
    expect(read!.path).toBe('/api/orders/{{orderId}}');
    expect(read!.capture).toBeUndefined();
    expect(invoice!.path).toBe('/api/orders/{{orderId}}/invoice?format=pdf');
    // Names are unique and follow the templated paths.
    expect(steps(c).map((s) => s.name)).toEqual([
      'get',
      'post-api-login',
      'get-api-users-userid',
      'post-api-orders',
      'get-api-orders-orderid',
      'get-api-orders-orderid-invoice',
    ]);
  });

  test('when the recording holds cookies, tokens and a password, then none reaches the file and the headers are fromEnv', () => {
    for (const secret of RECORDED_SECRETS) expect(text).not.toContain(secret);
    expect(c.target.headers).toEqual({ Cookie: { fromEnv: 'API_COOKIE' }, Authorization: { fromEnv: 'API_TOKEN' } });
    expect(steps(c)[1]!.json).toEqual({ username: 'alice', password: 'REPLACE_ME' });
    expect(text).toContain('# Body field password replaced by REPLACE_ME');
    // Browser and hop-by-hop headers are not copied; the API's own are.
    expect(text).not.toMatch(
      /User-Agent|Host:|Accept-Encoding|Accept-Language|Connection|sec-|Sec-Fetch|Referer|Content-Type/,
    );
    expect(steps(c)[1]!.headers).toEqual({ Accept: 'application/json', 'X-Requested-With': 'XMLHttpRequest' });
    expect(steps(c)[0]!.headers).toBeUndefined();
  });

  test('when entries have pauses between them, then the pause after a step is its think time, capped at 10 s', () => {
    // / ends at .120, login starts at 1.000; login ends at 1.200, the user is read at 3.500; the order ends at 3.700
    // and is read back at 20.000; that read ends at 20.080, the invoice starts at 20.500; users -> order is 50 ms.
    expect(steps(c).map((s) => s.thinkTime)).toEqual(['900ms', '2300ms', undefined, '10s', '400ms', undefined]);
  });

  test('when a recorded answer is 4xx, then the step has no expect.status; otherwise the recorded status', () => {
    expect(steps(c).map((s) => s.expect?.status)).toEqual([200, 200, 200, 201, 200, undefined]);
    expect(text).toContain('# It answered 404 in the recording: no expect.status written, check this step.');
  });

  test('when --base-url names another origin, then it is the target and the recorded origin is still the one kept', () => {
    const entries = parseHar(readFileSync(FIXTURE, 'utf8'));
    const local = generate(entries, { baseUrl: 'http://127.0.0.1:9000', name: 'shop' }).campaign;
    expect(local.target.baseUrl).toBe('http://127.0.0.1:9000');
    expect(local.name).toBe('shop');
    expect(steps(local)).toHaveLength(6);
    // --base-url naming one of the recording's origins makes it the main one.
    const analytics = generate(entries, { baseUrl: 'https://metrics.analytics.example.net' }).campaign;
    expect(steps(analytics).map((s) => `${s.method} ${s.path}`)).toEqual(['POST /v1/track']);
  });

  test('when an id appears inside longer path segments, query values or strings, then it is not replaced', () => {
    const { campaign } = generate([
      entry('POST', 'https://a.example/items', { response: { id: 123 } }),
      entry('GET', 'https://a.example/items/1234/a123?q=x123&page=123', { at: 50 }),
      entry('POST', 'https://a.example/notes', { at: 60, body: { text: 'order 123', ref: '123-abc', count: 123 } }),
    ]);
    const [create, read, note] = steps(campaign);
    expect(read!.path).toBe('/items/1234/a123?q=x123&page={{itemId}}');
    expect(note!.json).toEqual({ text: 'order 123', ref: '123-abc', count: '{{itemId}}' });
    expect(create!.capture).toEqual({ itemId: 'id' });
  });

  test('when an id is small, then it is replaced only where the request names it as an id', () => {
    const { campaign } = generate([
      entry('POST', 'https://a.example/carts', { response: { id: 7 } }),
      entry('GET', 'https://a.example/carts/7?page=7', { at: 50 }),
      entry('POST', 'https://a.example/lines', { at: 60, body: { cartId: 7, quantity: 7 } }),
    ]);
    const [, read, line] = steps(campaign);
    expect(read!.path).toBe('/carts/7?page=7');
    expect(line!.json).toEqual({ cartId: '{{cartId}}', quantity: 7 });
  });

  test.each([
    [{ data: { id: 'abc-123' } }, [{ path: 'data.id', value: 'abc-123' }]],
    [{ items: [{ id: 'it-77' }, { id: 'it-78' }] }, [{ path: 'items[0].id', value: 'it-77' }]],
    [[{ order_id: 555 }], [{ path: '[0].order_id', value: 555 }]],
    [
      { userId: 'u-9', name: 'x', uuid: 'not-id-like', deep: { deeper: { id: 'too-deep-1' } } },
      [{ path: 'userId', value: 'u-9' }],
    ],
    [{ id: '' }, []],
  ])('when a response body is %j, then the ids found are %j', (body, expected) => {
    expect(idsInBody(body).map(({ path: p, value }) => ({ path: p, value }))).toEqual(expected);
  });

  test('when a nested id is sent back, then the capture path reaches into the body', () => {
    const { campaign } = generate([
      entry('POST', 'https://a.example/projects', { response: { data: { id: 'prj-42' } } }),
      entry('GET', 'https://a.example/projects/prj-42/tasks', { at: 50 }),
    ]);
    expect(steps(campaign)[0]!.capture).toEqual({ projectId: 'data.id' });
    expect(steps(campaign)[1]!.path).toBe('/projects/{{projectId}}/tasks');
  });

  test('when a query parameter looks secret, then it is left out with a comment', () => {
    const { text: t, campaign } = generate([
      entry('GET', 'https://a.example/feed?access_token=tok-123456&limit=5', {
        headers: { 'X-Api-Key': 'k-999', 'X-Tenant': 'acme' },
      }),
    ]);
    expect(steps(campaign)[0]!.path).toBe('/feed?limit=5');
    expect(t).not.toContain('tok-123456');
    expect(t).not.toContain('k-999');
    expect(t).toContain('# Query parameter access_token left out: it looks secret.');
    // One step: its plain headers are everyone's, so they go to target.headers.
    expect(campaign.target.headers).toEqual({ 'X-Tenant': 'acme', 'X-Api-Key': { fromEnv: 'X_API_KEY' } });
  });

  test('when the recording has more requests than a flow may have steps, then the first ones are kept and counted', () => {
    const many = Array.from({ length: MAX_HAR_STEPS + 10 }, (_, i) =>
      entry('GET', `https://a.example/p${i}`, { at: i * 20 }),
    );
    const { text: t, campaign } = generate(many);
    expect(steps(campaign)).toHaveLength(MAX_HAR_STEPS);
    expect(t).toContain(`# 10 more requests of https://a.example left out: a flow has at most ${MAX_HAR_STEPS} steps`);
  });

  test('when OPTIONS preflights, non-JSON bodies and failed requests are recorded, then they are dropped and counted', () => {
    const form = entry('POST', 'https://a.example/form', { at: 30 });
    form.request.postData = { mimeType: 'application/x-www-form-urlencoded', text: 'a=1' };
    const aborted = entry('GET', 'https://a.example/slow', { at: 40, status: 0 });
    const { text: t, campaign } = generate([
      entry('OPTIONS', 'https://a.example/api', { at: 10 }),
      entry('GET', 'https://a.example/api', { at: 20 }),
      form,
      aborted,
      entry('GET', 'data:image/png;base64,AAAA', { at: 50 }),
    ]);
    expect(steps(campaign).map((s) => s.path)).toEqual(['/api']);
    expect(t).toMatch(
      /dropped 1 not http\(s\), 1 with a method the engine does not send \(OPTIONS\), 1 without a response, 1 with a body that is not JSON/,
    );
  });

  describe('bad input', () => {
    test.each([
      ['text that is not JSON', 'nope', /is not a HAR file: not JSON/],
      ['JSON without log', '{"entries": []}', /it has no "log" object/],
      ['a log without entries', '{"log": {"version": "1.2"}}', /"log.entries" is missing or not a list/],
      ['empty entries', '{"log": {"entries": []}}', /"log.entries" is empty/],
      [
        'an entry without a URL or a status',
        JSON.stringify({
          log: { entries: [{ startedDateTime: 'x', time: 1, request: { method: 'GET' }, response: {} }] },
        }),
        /log\.entries\[0\]\.startedDateTime: missing or not a date[\s\S]*log\.entries\[0\]\.request\.url: missing or not a URL[\s\S]*log\.entries\[0\]\.response\.status: missing/,
      ],
    ])('when the HAR is %s, then parsing throws an InitInputError naming the problem', (_what, input, message) => {
      let err: unknown;
      try {
        parseHar(input, 'x.har');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InitInputError);
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).toContain('x.har');
    });

    test('when a recording has only static assets and other origins, then there is nothing to replay', () => {
      expect(() =>
        generate([
          entry('GET', 'https://a.example/app.js'),
          {
            ...entry('GET', 'https://a.example/logo'),
            response: { status: 200, headers: [], content: { mimeType: 'image/svg+xml' } },
          },
        ]),
      ).toThrow(/no request to replay: of 2 recorded entries, 2 static assets/);
    });

    test('when the file is missing, then loading names it', async () => {
      await expect(harCampaignYaml(path.join(__dirname, 'no-such.har'), { now: NOW })).rejects.toThrow(
        /no-such\.har: cannot read: no such file \(ENOENT\)/,
      );
    });
  });
});
