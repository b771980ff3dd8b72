/**
 * `readiness init --from-openapi`: campaigns bootstrapped from the published example specs of @readme/oas-examples
 * (Swagger 2.0, OpenAPI 3.0 and 3.1, real-world ones among them) and from small specs written here, each parsed back
 * with the campaign loader.
 */
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseCampaignYaml } from '../../src/config/load';
import type { Campaign } from '../../src/config/schema';
import { HISTORY_LIMITS } from '../../src/config/limits';
import { InitInputError } from '../../src/init/input-error';
import {
  MAX_OPENAPI_REQUESTS,
  draftFromOpenApi,
  exampleFromSchema,
  loadOpenApiSpec,
  openApiCampaignYaml,
} from '../../src/init/openapi';
import { renderCampaignYaml } from '../../src/init/yaml-writer';

const EXAMPLES = path.join(__dirname, '..', '..', 'node_modules', '@readme', 'oas-examples');
const spec = (rel: string) => path.join(EXAMPLES, rel);
const NOW = new Date('2025-06-01T12:00:00Z');

/** Generates from a spec file and parses the text back (throws the loader's ConfigError if it does not validate). */
async function fromFile(rel: string, opts: { baseUrl?: string; name?: string } = {}) {
  const text = await openApiCampaignYaml(spec(rel), { now: NOW, ...opts });
  return { text, campaign: parseCampaignYaml(text, rel) };
}

/** Generates from a spec object (no file, no dereferencing needed) and parses the text back. */
function fromObject(api: Record<string, unknown>, opts: { baseUrl?: string; name?: string } = {}) {
  const text = renderCampaignYaml(draftFromOpenApi(api, { source: 'inline.json', now: NOW, ...opts }));
  return { text, campaign: parseCampaignYaml(text) };
}

const request = (c: Campaign, name: string) => {
  const r = c.scenario.requests.find((x) => x.name === name);
  if (!r) throw new Error(`no request ${name} in ${c.scenario.requests.map((x) => x.name).join(', ')}`);
  return r;
};

/** Every spec the package ships (JSON and YAML) but its test folder. */
const ALL_SPECS = ['2.0', '3.0', '3.1'].flatMap((v) =>
  ['json', 'yaml'].flatMap((kind) =>
    readdirSync(path.join(EXAMPLES, v, kind))
      .filter((f) => f.endsWith(`.${kind}`))
      .map((f) => `${v}/${kind}/${f}`),
  ),
);
/** Specs whose every operation has a non-JSON body (or that have only webhooks): nothing to load-test. */
const NOTHING_TO_SEND = new Set(['file-uploads', 'form-data', 'schema-encoding-style', 'webhooks']);

describe('readiness init --from-openapi', () => {
  test('when every published example spec is bootstrapped, then each file validates or nothing-to-send is refused', async () => {
    expect(ALL_SPECS.length).toBeGreaterThan(100);
    for (const rel of ALL_SPECS) {
      const base = path.basename(rel).replace(/\.(json|yaml)$/, '');
      if (NOTHING_TO_SEND.has(base)) {
        await expect(openApiCampaignYaml(spec(rel), { now: NOW })).rejects.toThrow(
          /no operation could be turned into a request/,
        );
        continue;
      }
      const { campaign } = await fromFile(rel);
      expect(campaign.scenario.requests.length).toBeGreaterThan(0);
      for (const r of campaign.scenario.requests) {
        expect(r.path.startsWith('/')).toBe(true);
        expect(r.path).not.toMatch(/\/\/|\\/);
      }
      expect(new URL(campaign.target.baseUrl).pathname).toBe('/');
    }
  });

  test.each(['3.0/json/petstore.json', '3.0/yaml/petstore.yaml'])(
    'when the petstore (%s) is bootstrapped, then each JSON operation is a request with vars, weights, a body and the security header',
    async (rel) => {
      const { text, campaign: c } = await fromFile(rel);
      // 20 operations; the two with form and binary bodies are left out, and the file says so.
      expect(c.scenario.requests.map((r) => r.name)).toEqual([
        'addpet',
        'updatepet',
        'findpetsbystatus',
        'findpetsbytags',
        'getpetbyid',
        'deletepet',
        'getinventory',
        'placeorder',
        'getorderbyid',
        'deleteorder',
        'createuser',
        'createuserswitharrayinput',
        'createuserswithlistinput',
        'loginuser',
        'logoutuser',
        'getuserbyname',
        'updateuser',
        'deleteuser',
      ]);
      expect(text).toContain('# Operations left out (2):');
      expect(text).toMatch(/POST \/pet\/\{petId\}: application\/x-www-form-urlencoded body/);
      expect(text).toMatch(/POST \/pet\/\{petId\}\/uploadImage: multipart\/form-data body/);

      // The server's path prefix goes in front of every path; baseUrl is the origin only.
      expect(c.target.baseUrl).toBe('http://petstore.swagger.io');
      expect(request(c, 'getpetbyid').path).toBe('/v2/pet/{{petId}}');
      expect(c.scenario.vars.petId).toEqual({ range: [1, 100] });
      expect(request(c, 'deletepet').path).toBe('/v2/pet/{{petId}}');
      // A required query parameter is appended as a var; its values come from the items' enum.
      expect(request(c, 'findpetsbystatus').path).toBe('/v2/pet/findByStatus?status={{status}}');
      expect(c.scenario.vars.status).toEqual({ list: ['available', 'pending', 'sold'] });
      // Reads weigh more than writes.
      expect(request(c, 'getpetbyid').weight).toBeGreaterThan(request(c, 'addpet').weight);
      expect(request(c, 'addpet').weight).toBeGreaterThan(request(c, 'deletepet').weight);
      // addPet's body: the required fields, with the schema's examples.
      expect(request(c, 'addpet').json).toEqual({ name: 'doggie', photoUrls: [expect.any(String)] });
      expect(request(c, 'placeorder').json).toMatchObject({ petId: expect.any(Number), status: 'placed' });
      expect(request(c, 'createuserswitharrayinput').json).toEqual([expect.objectContaining({ username: 'sample' })]);
      // Declared 2xx answers become expect.status; none declared, none written.
      expect(request(c, 'getpetbyid').expect?.status).toBe(200);
      expect(request(c, 'addpet').expect).toBeUndefined();
      // OAuth2 is sent as a bearer token read from the environment; the api_key header cannot be named here.
      expect(c.target.headers).toEqual({ Authorization: { fromEnv: 'API_TOKEN' } });
      expect(text).toMatch(/# Security petstore_auth \(oauth2\)/);
      expect(text).toMatch(/Needs api_key \(API key in header "api_key"\)/);
      // The header says where it came from and when.
      expect(text.split('\n')[0]).toContain(`from ${spec(rel)}`);
      expect(text).toContain('at 2025-06-01T12:00:00.000Z');
      expect(c.name).toBe('swagger-petstore');
      expect(c.baseline?.phases).toEqual([expect.objectContaining({ name: 'steady', users: 10, duration: '2m' })]);
      expect(c.baseline?.thresholds).toEqual(['p(95)<1000', 'error_rate<0.01']);
      expect(c.stress).toMatchObject({ startUsers: 10, stepUsers: 10, maxUsers: 200, stepDuration: '1m' });
      expect(c.stress?.stopWhen).toEqual(['error_rate>0.01', 'p(95)>1000']);
      expect(c.scenario.thinkTime).toBe('1s');
      expect(c.scenario.requestTimeout).toBe('10s');
    },
  );

  test('when the Swagger 2.0 petstore is bootstrapped, then host, basePath and body parameters are used', async () => {
    const { campaign: c } = await fromFile('2.0/json/petstore.json');
    expect(c.target.baseUrl).toBe('http://petstore.swagger.io');
    expect(c.scenario.requests).toHaveLength(18);
    expect(request(c, 'getpetbyid').path).toBe('/v2/pet/{{petId}}');
    expect(request(c, 'addpet').json).toMatchObject({ name: 'doggie', photoUrls: [expect.any(String)] });
    expect(c.target.headers).toEqual({ Authorization: { fromEnv: 'API_TOKEN' } });
  });

  test('when the 3.1 train-travel spec is bootstrapped, then parameter examples become vars and 2xx codes expectations', async () => {
    const { campaign: c } = await fromFile('3.1/json/train-travel.json');
    expect(c.target.baseUrl).toBe('https://api.example.com');
    expect(request(c, 'get-trips').path).toBe('/trips?origin={{origin}}&destination={{destination}}&date={{date}}');
    expect(c.scenario.vars.origin).toEqual({ list: ['efdbb9d1-02c2-4bc3-afb7-6788d8782b1e'] });
    expect(request(c, 'create-booking').expect?.status).toBe(201);
    expect(request(c, 'create-booking').json).toMatchObject({ passenger_name: 'John Doe' });
    expect(request(c, 'delete-booking')).toMatchObject({ method: 'DELETE', weight: 1, expect: { status: 204 } });
  });

  test('when the real-world readme.json (3.1) is bootstrapped, then it has a request per JSON operation and a bearer header', async () => {
    const { text, campaign: c } = await fromFile('3.1/json/readme.json');
    expect(c.scenario.requests).toHaveLength(50);
    expect(text).toContain('# Operations left out (4):');
    expect(c.target).toMatchObject({
      baseUrl: 'https://api.readme.com',
      headers: { Authorization: { fromEnv: 'API_TOKEN' } },
    });
    expect(c.scenario.requests.every((r) => r.path.startsWith('/v2/'))).toBe(true);
    expect(new Set(c.scenario.requests.map((r) => r.name)).size).toBe(50);
  });

  test('when star-trek.json and uspto.json are bootstrapped, then form operations are left out and server variables resolved', async () => {
    const trek = await fromFile('3.0/json/star-trek.json');
    expect(trek.campaign.scenario.requests).toHaveLength(80);
    expect(trek.text).toContain('# Operations left out (40):');
    const uspto = await fromFile('3.0/json/uspto.json');
    // "{scheme}://developer.uspto.gov/ds-api" with scheme's default https.
    expect(uspto.campaign.target.baseUrl).toBe('https://developer.uspto.gov');
    expect(uspto.campaign.scenario.requests.map((r) => r.path)).toContain('/ds-api/{{dataset}}/{{version}}/fields');
  });

  test.each(['3.0/json/circular.json', '3.0/json/circular-request-bodies.json', '2.0/json/schema-circular.json'])(
    'when a spec with circular schemas (%s) is bootstrapped, then the bodies are finite',
    async (rel) => {
      const { campaign } = await fromFile(rel);
      for (const r of campaign.scenario.requests)
        if (r.json !== undefined) expect(JSON.stringify(r.json).length).toBeLessThan(20_000);
    },
  );

  test('when a schema refers to itself as a JS object, then the example generator stops at its depth limit', () => {
    const node: Record<string, unknown> = { type: 'object', required: ['name', 'child'], properties: {} };
    (node.properties as Record<string, unknown>).name = { type: 'string' };
    (node.properties as Record<string, unknown>).child = node;
    const value = exampleFromSchema(node);
    let depth = 0;
    for (let v = value as Record<string, unknown> | undefined; v; v = v.child as Record<string, unknown>) depth++;
    expect(depth).toBeGreaterThan(2);
    expect(depth).toBeLessThan(10);
  });

  test.each([
    [{ type: 'string', format: 'uuid' }, '3fa85f64-5717-4562-b3fc-2c963f66afa6'],
    [{ type: 'string', format: 'date-time' }, '2024-01-01T00:00:00Z'],
    [{ type: 'integer', minimum: 5 }, 5],
    [{ type: 'number' }, 1],
    [{ type: 'boolean' }, true],
    [{ type: 'string', enum: ['b', 'a'] }, 'b'],
    [{ type: 'array', items: { type: 'integer' } }, [1]],
    [{ oneOf: [{ type: 'string' }, { type: 'integer' }] }, 'sample'],
    [
      {
        allOf: [
          { type: 'object', properties: { a: { type: 'integer' } } },
          { type: 'object', properties: { b: { type: 'boolean' } } },
        ],
      },
      { a: 1, b: true },
    ],
    [
      { type: 'object', required: ['a'], properties: { a: { type: 'string' }, b: { type: 'string' } } },
      { a: 'sample' },
    ],
    [
      { type: 'object', properties: { id: { type: 'integer', readOnly: true }, n: { type: 'string' } } },
      { n: 'sample' },
    ],
    [{ type: ['null', 'integer'] }, 1],
    [{ type: 'string', example: 'given' }, 'given'],
  ])('when the schema is %j, then the generated value is %j', (schema, value) => {
    expect(exampleFromSchema(schema)).toEqual(value);
  });

  test('when a spec has more operations than a campaign may have, then the first ones are kept and the file says how many were left out', () => {
    const paths: Record<string, unknown> = {};
    for (let i = 0; i < 130; i++)
      paths[`/things${i}/{thingId}`] = {
        get: { operationId: `getThing${i}`, responses: { 200: { description: 'ok' } } },
        delete: { operationId: `deleteThing${i}`, responses: { 204: { description: 'gone' } } },
      };
    const { text, campaign } = fromObject({ openapi: '3.0.3', info: { title: 'Big', version: '1' }, paths });
    expect(MAX_OPENAPI_REQUESTS).toBe(HISTORY_LIMITS.requests);
    expect(campaign.scenario.requests).toHaveLength(MAX_OPENAPI_REQUESTS);
    expect(campaign.scenario.requests.at(-1)!.name).toBe('deletething49');
    expect(text).toContain(`160 more operations left out: at most ${MAX_OPENAPI_REQUESTS} requests are written`);
    // The shared path parameter is one var.
    expect(Object.keys(campaign.scenario.vars)).toEqual(['thingId']);
  });

  test('when the bodies make the campaign larger than the workflow input, then the last requests are left out until it fits', () => {
    const big = Object.fromEntries(
      Array.from({ length: 40 }, (_, i) => [`field${i}`, { type: 'string', example: 'x'.repeat(60) }]),
    );
    const paths: Record<string, unknown> = {};
    for (let i = 0; i < 40; i++)
      paths[`/docs${i}`] = {
        post: {
          operationId: `createDoc${i}`,
          requestBody: { content: { 'application/json': { schema: { type: 'object', properties: big } } } },
          responses: { 201: { description: 'created' } },
        },
      };
    const { text, campaign } = fromObject({ openapi: '3.0.3', info: { title: 'Heavy', version: '1' }, paths });
    const kept = campaign.scenario.requests.length;
    expect(kept).toBeGreaterThan(1);
    expect(kept).toBeLessThan(40);
    expect(text).toContain(
      `${40 - kept} more operations left out: a campaign (with its checklist) is at most 48 KiB as JSON`,
    );
  });

  test('when operation ids repeat, are long, odd or missing, then request names are valid and unique', () => {
    const long = 'A'.repeat(80);
    const ok = { responses: { 200: { description: 'ok' } } };
    const { campaign } = fromObject({
      openapi: '3.0.3',
      info: { title: 'Names!', version: '1' },
      paths: {
        '/a': { get: { ...ok, operationId: 'list.Things' }, post: { ...ok, operationId: 'list.Things' } },
        '/b': { get: { ...ok, operationId: long }, put: { ...ok, operationId: long } },
        '/c/{x}/d': {
          get: { ...ok, parameters: [{ name: 'x', in: 'path', required: true, schema: { type: 'string' } }] },
        },
        '/e': { get: { ...ok, operationId: '__' } },
      },
    });
    const names = campaign.scenario.requests.map((r) => r.name);
    expect(names).toEqual([
      'list-things',
      'list-things-2',
      'a'.repeat(63),
      `${'a'.repeat(61)}-2`,
      'get-c-x-d',
      'get-e',
    ]);
    expect(campaign.name).toBe('names');
  });

  test('when parameters need sanitizing, then var names are valid, shared, and only required query parameters are sent', () => {
    const { text, campaign: c } = fromObject({
      openapi: '3.0.3',
      info: { title: 'Vars', version: '1' },
      servers: [{ url: '/api/v3' }],
      paths: {
        '/users/{user-id}': {
          parameters: [
            { name: 'user-id', in: 'path', required: true, schema: { type: 'integer', minimum: 10, maximum: 20 } },
          ],
          get: {
            parameters: [
              { name: 'expand', in: 'query', required: true, schema: { type: 'boolean' } },
              { name: 'page', in: 'query', schema: { type: 'integer' } },
            ],
            responses: { 200: { description: 'ok' }, 206: { description: 'partial' } },
          },
          options: { responses: { 200: { description: 'ok' } } },
        },
        '/users/{user-id}/tags/{2nd}': {
          get: {
            parameters: [
              { name: 'user-id', in: 'path', required: true, schema: { type: 'integer' } },
              { name: '2nd', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } },
              { name: 'X-Tenant', in: 'header', required: true, schema: { type: 'string', example: 'acme' } },
            ],
            responses: { 200: { description: 'ok' } },
          },
        },
      },
    });
    expect(c.scenario.requests[0]).toMatchObject({
      path: '/api/v3/users/{{user_id}}?expand={{expand}}',
      expect: { status: [200, 206] },
    });
    expect(c.scenario.requests[1]).toMatchObject({
      path: '/api/v3/users/{{user_id}}/tags/{{_2nd}}',
      headers: { 'X-Tenant': 'acme' },
    });
    expect(c.scenario.vars).toEqual({
      user_id: { range: [10, 20] },
      expand: { list: ['true', 'false'] },
      _2nd: { list: [expect.stringMatching(/^[0-9a-f-]{36}$/), expect.any(String), expect.any(String)] },
    });
    expect(text).toContain('OPTIONS /users/{user-id}: the load engine does not send OPTIONS requests');
    // A relative server: the default origin, with a comment asking to set it.
    expect(c.target.baseUrl).toBe('http://127.0.0.1:8080');
    expect(text).toMatch(/# The spec's server \(\/api\/v3\) names no host: SET THIS/);
  });

  test('when --base-url and --name are given, then they replace the spec server and title', () => {
    const api = {
      openapi: '3.0.3',
      info: { title: 'Shop', version: '1' },
      servers: [{ url: 'https://shop.example.com/api' }],
      paths: { '/orders': { get: { responses: { 200: { description: 'ok' } } } } },
    };
    expect(fromObject(api, { baseUrl: 'http://127.0.0.1:9000', name: 'my-shop' }).campaign).toMatchObject({
      name: 'my-shop',
      target: { baseUrl: 'http://127.0.0.1:9000' },
      scenario: { requests: [{ path: '/api/orders' }] },
    });
    // A --base-url with a path replaces the spec's prefix.
    expect(fromObject(api, { baseUrl: 'http://127.0.0.1:9000/v9/' }).campaign.scenario.requests[0]!.path).toBe(
      '/v9/orders',
    );
    expect(() => fromObject(api, { baseUrl: 'http://u:p@127.0.0.1:9000' })).toThrow(InitInputError);
  });

  test('when schemes are API keys in a header, HTTP basic or unsupported, then headers are fromEnv or a comment says why not', () => {
    const ok = { responses: { 200: { description: 'ok' } } };
    const { text, campaign: c } = fromObject({
      openapi: '3.0.3',
      info: { title: 'Sec', version: '1' },
      components: {
        securitySchemes: {
          key: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
          basic: { type: 'http', scheme: 'basic' },
          query: { type: 'apiKey', in: 'query', name: 'api_key' },
          reserved: { type: 'apiKey', in: 'header', name: 'Temporal-Token' },
        },
      },
      paths: {
        '/a': { get: { ...ok, security: [{ key: [] }] } },
        '/b': { get: { ...ok, security: [{ query: [] }, { basic: [] }] } },
        '/c': { get: { ...ok, security: [{ query: [] }] } },
        '/d': { get: { ...ok, security: [{}] } },
        '/e': { get: { ...ok, security: [{ reserved: [] }] } },
      },
    });
    expect(c.target.headers).toEqual({
      'X-API-Key': { fromEnv: 'X_API_KEY' },
      Authorization: { fromEnv: 'API_TOKEN' },
      'Temporal-Token': { fromEnv: 'API_TEMPORAL_TOKEN' },
    });
    expect(text).toMatch(/# Needs query \(API key in the query "api_key"\): only header and cookie keys are written/);
    expect(text).toMatch(/# Security basic \(HTTP basic\): "Basic <base64 of user:password>"/);
  });

  test('when a spec declares a health endpoint, then healthPath is it', () => {
    const { campaign } = fromObject({
      swagger: '2.0',
      info: { title: 'Health', version: '1' },
      host: 'api.example.com:8443',
      basePath: '/svc',
      schemes: ['http', 'https'],
      paths: { '/healthz': { get: { responses: { 200: { description: 'ok' } } } } },
    });
    expect(campaign.target).toMatchObject({ baseUrl: 'https://api.example.com:8443', healthPath: '/svc/healthz' });
  });

  test('when comments come from the spec, then line breaks in them cannot escape the comment', () => {
    const { text, campaign } = fromObject({
      openapi: '3.0.3',
      info: { title: 'Evil', version: '1' },
      paths: {
        '/a': {
          get: { summary: 'line one\nname: injected\r\u2028x: 1', responses: { 200: { description: 'ok' } } },
        },
      },
    });
    expect(campaign.name).toBe('evil');
    expect(text).toContain('# GET /a: line one name: injected x: 1');
  });

  describe('bad input', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(path.join(tmpdir(), 'init-openapi-'));
    });
    const write = (name: string, text: string) => {
      const f = path.join(dir, name);
      writeFileSync(f, text);
      return f;
    };

    test.each([
      ['a missing file', () => path.join(dir, 'nope.yaml'), /cannot read: no such file \(ENOENT\)/],
      ['a JSON that is not a spec', () => write('x.json', '{"hello": "world"}'), /is not an OpenAPI or Swagger spec/],
      ['a file that is not YAML', () => write('x.yaml', 'a: [\n'), /is not JSON or YAML/],
      [
        'a broken $ref',
        () =>
          write(
            'broken.json',
            JSON.stringify({
              openapi: '3.0.3',
              info: { title: 'b', version: '1' },
              paths: { '/a': { get: { responses: { 200: { $ref: '#/components/responses/Nope' } } } } },
            }),
          ),
        /is not a valid OpenAPI\/Swagger spec: .*#\/components\/responses\/Nope/,
      ],
      [
        'a remote $ref',
        () =>
          write(
            'remote.json',
            JSON.stringify({
              openapi: '3.0.3',
              info: { title: 'r', version: '1' },
              paths: { '/a': { get: { responses: { 200: { $ref: 'http://127.0.0.1:1/r.json' } } } } },
            }),
          ),
        /remote \$refs are not fetched/,
      ],
      [
        'a spec that breaks the OpenAPI schema',
        () => write('bad.json', JSON.stringify({ openapi: '3.0.3', info: { title: 'x' }, paths: {} })),
        /is not a valid OpenAPI\/Swagger spec/,
      ],
    ])(
      'when the input is %s, then loading throws an InitInputError naming the problem',
      async (_what, file, message) => {
        const f = file();
        const err = await loadOpenApiSpec(f).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(InitInputError);
        expect((err as Error).message).toMatch(message);
        expect((err as Error).message).toContain(f);
      },
    );
  });
});
