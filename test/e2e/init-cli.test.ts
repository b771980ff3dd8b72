/**
 * `readiness init` through the built CLI (`npm run build` first): campaigns bootstrapped from the published petstore
 * spec and the hand-written shop recording validate, and their load, run by the engine against a catch-all HTTP
 * server, is sent and answered (the recording's captures carry the server's own ids from step to step). Bad input
 * exits 2 naming the problem, with nothing on stdout and no file written.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseCampaignYaml } from '../../src/config/load';
import { planFromPhase } from '../../src/config/load-plan';
import type { BaselinePhase, Campaign } from '../../src/config/schema';
import { runLoad } from '../../src/engine/run';
import { runCli } from '../helpers/cli';

const PETSTORE = path.join(
  __dirname,
  '..',
  '..',
  'node_modules',
  '@readme',
  'oas-examples',
  '3.0',
  'json',
  'petstore.json',
);
const SHOP_HAR = path.join(__dirname, '..', 'fixtures', 'har', 'shop.har');

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

/**
 * Answers anything with `{"id":1}`: 201 to a POST that creates an order (as the recorded shop did), 200 otherwise.
 * Records what it was sent.
 */
async function startCatchAll(): Promise<{ url: string; seen: Seen[]; server: Server }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
      const status = req.method === 'POST' && /\/orders$/.test(req.url ?? '') ? 201 : 200;
      res.writeHead(status, { 'content-type': 'application/json' }).end('{"id":1}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

/** Runs the campaign's scenario for a few seconds with a few users, without think times. */
async function shortLoad(campaign: Campaign, headers: Record<string, string>) {
  const scenario: Campaign['scenario'] = {
    ...campaign.scenario,
    thinkTime: '20ms',
    flows: campaign.scenario.flows?.map((f) => ({
      ...f,
      steps: f.steps.map((s) => ({ ...s, thinkTime: undefined })),
    })),
  };
  const phase: BaselinePhase = { ...campaign.baseline!.phases[0]!, users: 4, duration: '3s', rampUp: '0s' };
  const result = await runLoad({
    plan: planFromPhase(phase, scenario),
    scenario,
    origin: campaign.target.baseUrl,
    headers,
    threads: 1,
  });
  return result.metrics;
}

let dir: string;
let target: Awaited<ReturnType<typeof startCatchAll>>;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'init-cli-'));
  env = { READINESS_OUT_DIRS: dir };
  target = await startCatchAll();
});

afterAll(async () => {
  await new Promise((resolve) => target.server.close(resolve));
});

describe('readiness init (CLI)', () => {
  test('when init runs on the petstore spec, then the printed campaign validates and its load is sent and answered', async () => {
    const res = await runCli(['init', '--from-openapi', PETSTORE, '--base-url', target.url], env);
    expect(res.stderr).toMatch(/readiness init: 18 requests from .*petstore\.json/);
    expect(res.code).toBe(0);
    const campaign = parseCampaignYaml(res.stdout);
    expect(campaign.target.baseUrl).toBe(target.url);

    // The same through --out, then `readiness validate` on the written file.
    const out = path.join(dir, 'petstore.yaml');
    const written = await runCli(['init', '--from-openapi', PETSTORE, '--base-url', target.url, '--out', out], env);
    expect(written.code).toBe(0);
    expect(written.stdout).toBe('');
    const untimed = (t: string) => t.replace(/ at \d{4}-\d\d-\d\dT[\d:.]+Z\./, ' at (time).');
    expect(untimed(readFileSync(out, 'utf8'))).toBe(untimed(res.stdout));
    const validated = await runCli(['validate', out], env);
    expect(validated.stdout).toContain('valid campaign "swagger-petstore"');
    expect(validated.code).toBe(0);

    target.seen.length = 0;
    const metrics = await shortLoad(campaign, { Authorization: 'Bearer test-token' });
    const totals = metrics.totals();
    expect(totals.requests).toBeGreaterThan(20);
    expect(totals.errors).toBe(0);
    expect(target.seen.length).toBeGreaterThanOrEqual(totals.requests);
    expect(target.seen.every((s) => s.url.startsWith('/v2/'))).toBe(true);
    expect(target.seen.every((s) => s.headers.authorization === 'Bearer test-token')).toBe(true);
    // {{petId}} was drawn from its range.
    const petIds = target.seen
      .map((s) => /^\/v2\/pet\/(\d+)$/.exec(s.url)?.[1])
      .filter(Boolean)
      .map(Number);
    expect(petIds.length).toBeGreaterThan(0);
    expect(petIds.every((id) => id >= 1 && id <= 100)).toBe(true);
    // The JSON bodies went out as JSON.
    expect(target.seen.some((s) => s.method === 'POST' && s.headers['content-type'] === 'application/json')).toBe(true);
  });

  test('when init runs on the shop recording, then the flow validates, runs, and carries captured ids from step to step', async () => {
    const res = await runCli(['init', '--from-har', SHOP_HAR, '--base-url', target.url, '--name', 'shop'], env);
    expect(res.stderr).toMatch(/readiness init: a flow of 6 steps from .*shop\.har/);
    expect(res.code).toBe(0);
    for (const secret of ['eyJhbGciOiJIUzI1NiJ9', 'old-cookie-value', 'new-cookie-value', 's3cret-pw'])
      expect(res.stdout).not.toContain(secret);
    const campaign = parseCampaignYaml(res.stdout);
    expect(campaign).toMatchObject({ name: 'shop', target: { baseUrl: target.url } });

    target.seen.length = 0;
    const metrics = await shortLoad(campaign, { Authorization: 'Bearer test-token', Cookie: 'session=test' });
    expect(metrics.totals().requests).toBeGreaterThan(6);
    expect(metrics.totals().errors).toBe(0);
    const flow = metrics.flows.recorded!;
    expect(flow.iterations).toBeGreaterThan(0);
    expect(flow.failedIterations).toBe(0);
    const urls = new Set(target.seen.map((s) => `${s.method} ${s.url}`));
    // The server answered {"id":1}: the captured id, not the recorded one, is what the later steps sent.
    expect(urls).toContain('GET /api/users/1');
    expect(urls).toContain('GET /api/orders/1');
    expect(urls).toContain('GET /api/orders/1/invoice?format=pdf');
    expect([...urls].some((u) => /u-1001|\/123/.test(u))).toBe(false);
    const order = target.seen.find((s) => s.method === 'POST' && s.url === '/api/orders');
    expect(order?.headers['x-requested-with']).toBe('XMLHttpRequest');
  });

  describe('bad input', () => {
    const write = (name: string, text: string) => {
      const f = path.join(dir, name);
      writeFileSync(f, text);
      return f;
    };

    test.each([
      [
        'a spec that does not exist',
        () => ['--from-openapi', path.join(dir, 'missing.json')],
        /missing\.json: cannot read: no such file/,
      ],
      [
        'a JSON file that is not a spec',
        () => ['--from-openapi', write('not-a-spec.json', '{"name": "x", "paths": {}}')],
        /not-a-spec\.json: is not an OpenAPI or Swagger spec/,
      ],
      [
        'a spec with a broken $ref',
        () => [
          '--from-openapi',
          write(
            'broken-ref.json',
            JSON.stringify({
              openapi: '3.0.3',
              info: { title: 'b', version: '1' },
              paths: {
                '/a': {
                  post: {
                    requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Gone' } } } },
                    responses: { 200: { description: 'ok' } },
                  },
                },
              },
            }),
          ),
        ],
        /broken-ref\.json: is not a valid OpenAPI\/Swagger spec: .*#\/components\/schemas\/Gone/,
      ],
      [
        'a HAR without log.entries',
        () => ['--from-har', write('no-entries.har', '{"log": {"version": "1.2", "pages": []}}')],
        /no-entries\.har: is not a HAR file: "log\.entries" is missing or not a list/,
      ],
      [
        'both sources',
        () => ['--from-har', SHOP_HAR, '--from-openapi', PETSTORE],
        /give exactly one of --from-openapi FILE or --from-har FILE/,
      ],
      ['no source', () => [], /give exactly one of --from-openapi FILE or --from-har FILE/],
      [
        'an invalid name',
        () => ['--from-har', SHOP_HAR, '--name', 'Shop!'],
        /--name "Shop!": a campaign name is lowercase/,
      ],
      [
        'a base URL with a query',
        () => ['--from-har', SHOP_HAR, '--base-url', 'http://127.0.0.1:1/?a=1'],
        /--base-url .*must not have a query/,
      ],
      [
        'a recording whose body the campaign cannot express',
        () => {
          const har = JSON.parse(readFileSync(SHOP_HAR, 'utf8'));
          har.log.entries[5].request.postData.text = JSON.stringify({ username: '{{who}}' });
          return ['--from-har', write('templated.har', JSON.stringify(har))];
        },
        /templated\.har: the campaign generated from it does not validate, so nothing was written:\n .*unknown variable "\{\{who\}\}"/,
      ],
    ])(
      'when the input is %s, then init exits 2 naming the problem and writes nothing',
      async (_what, args, message) => {
        const out = path.join(dir, `out-${Math.random().toString(36).slice(2)}.yaml`);
        const res = await runCli(['init', ...args(), '--out', out], env);
        expect(res.stderr).toMatch(message);
        expect(res.code).toBe(2);
        expect(res.stdout).toBe('');
        expect(existsSync(out)).toBe(false);
        // Without --out, stdout stays empty too.
        const printed = await runCli(['init', ...args()], env);
        expect(printed.code).toBe(2);
        expect(printed.stdout).toBe('');
      },
    );

    test('when --out names an existing file, then init refuses it unless --force is given', async () => {
      const out = write('existing.yaml', 'keep me\n');
      const refused = await runCli(['init', '--from-har', SHOP_HAR, '--out', out], env);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain('exists already; pass --force to replace it');
      expect(readFileSync(out, 'utf8')).toBe('keep me\n');
      const forced = await runCli(['init', '--from-har', SHOP_HAR, '--out', out, '--force'], env);
      expect(forced.code).toBe(0);
      expect(parseCampaignYaml(readFileSync(out, 'utf8')).scenario.flows).toHaveLength(1);
    });

    test('when --out is outside the allowed directories, then init refuses before reading anything', async () => {
      const res = await runCli(['init', '--from-har', SHOP_HAR, '--out', path.join(dir, 'x.yaml')], {
        READINESS_OUT_DIRS: '',
      });
      expect(res.code).toBe(2);
      expect(res.stderr).toMatch(/--out .*x\.yaml: is outside the places/);
    });
  });
});
