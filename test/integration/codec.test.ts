/**
 * Payload encryption end to end on the shared dev server: a campaign runs with a codec-enabled worker
 * and client; its raw history (read without the codec) holds only ciphertext, and a secret the worker
 * resolves from its environment appears nowhere: not in history (raw or decrypted), logs or reports.
 * Then the codec server decrypts for the Web UI and answers its CORS preflight.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import pino from 'pino';
import { request } from 'undici';
import { startCampaign } from '../../src/cli/campaign-runner';
import { validateCampaign } from '../../src/config/load';
import type { Campaign } from '../../src/config/schema';
import {
  codecFromEnv,
  CODEC_KEYS_ENV,
  ENCODING_ENCRYPTED,
  generateKey,
  METADATA_KEY_ID,
  type AesGcmCodec,
} from '../../src/infra/codec';
import { payloadToJson, startCodecServer, type JsonPayload } from '../../src/infra/codec-server';
import { REDACT_PATHS } from '../../src/infra/logger';
import { runCli, CLI } from '../helpers/cli';
import { testEnv, uid } from '../helpers/env';
import { startTarget } from '../helpers/target';
import { startInProcessWorker } from '../helpers/worker';

type History = temporal.api.history.v1.IHistory;

const SECRET_ENV = `CODEC_IT_TOKEN_${uid().toUpperCase()}`;
const SECRET = `tok-${uid()}-must-never-be-seen`;
const CAMPAIGN_NAME = `codec-campaign-name-${uid()}`;
const text = (b: Uint8Array | null | undefined) => Buffer.from(b ?? new Uint8Array()).toString('utf8');

/** Every Payload in a history (or any proto object), with where it was found; search attributes excluded (the server indexes them, so they are never encoded). */
function payloadsIn(node: unknown, where = ''): Array<{ where: string; payload: Payload }> {
  if (!node || typeof node !== 'object' || node instanceof Uint8Array) return [];
  if (Array.isArray(node)) return node.flatMap((n, i) => payloadsIn(n, `${where}[${i}]`));
  const obj = node as Record<string, unknown>;
  const meta = obj.metadata as Record<string, unknown> | undefined;
  if (meta && typeof meta === 'object' && meta.encoding instanceof Uint8Array)
    return [{ where, payload: obj as Payload }];
  return Object.entries(obj).flatMap(([k, v]) =>
    k === 'searchAttributes' ? [] : payloadsIn(v, where ? `${where}.${k}` : k),
  );
}

/** A workflow's history and its child workflows' histories, fetched with `client` (no decoding). */
async function histories(client: Client, workflowId: string): Promise<Array<{ workflowId: string; history: History }>> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const children = (history.events ?? []).flatMap(
    (e) => e.childWorkflowExecutionStartedEventAttributes?.workflowExecution?.workflowId ?? [],
  );
  const nested = await Promise.all(children.map((id) => histories(client, id)));
  return [{ workflowId, history }, ...nested.flat()];
}

function campaign(baseUrl: string): Campaign {
  const r = validateCampaign({
    apiVersion: 'readiness/v1',
    name: CAMPAIGN_NAME,
    owner: 'codec-test-owner',
    target: { baseUrl, headers: { authorization: { fromEnv: SECRET_ENV } } },
    scenario: { thinkTime: '10ms', requestTimeout: '1s', requests: [{ name: 'get', method: 'GET', path: '/thing' }] },
    baseline: { phases: [{ name: 'only', users: 2, duration: '2s' }], thresholds: ['error_rate<0.01'] },
    settings: { heartbeatTimeout: '5s' },
  });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.campaign;
}

let codec: AesGcmCodec;
let plainClient: Client;
let codecClient: Client;
let codecConnection: Connection;
let taskQueue: string;
let stopWorker: () => Promise<void>;
let logs = '';

beforeAll(async () => {
  // Two keys: the active one encrypts, the older one is still accepted (rotation).
  codec = codecFromEnv({ [CODEC_KEYS_ENV]: `it-new:${generateKey()},it-old:${generateKey()}` })!;
  process.env[SECRET_ENV] = SECRET;
  const capture = new Writable({
    write(chunk, _enc, cb) {
      logs += String(chunk);
      cb();
    },
  });
  // The production logger's redaction, at debug level, into a buffer.
  const logger = pino({ level: 'debug', redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, capture);
  // The helper's client has no codec: it is the "plain" reader of raw history.
  ({
    taskQueue,
    client: plainClient,
    stop: stopWorker,
  } = await startInProcessWorker('codec-test', { codec, logger, secretEnv: [SECRET_ENV] }));
  codecConnection = await Connection.connect({ address: testEnv.temporalAddress });
  codecClient = new Client({ connection: codecConnection, dataConverter: { payloadCodecs: [codec] } });
});

afterAll(async () => {
  await stopWorker?.();
  await codecConnection?.close();
  delete process.env[SECRET_ENV];
});

describe('payload encryption', () => {
  let workflowId: string;
  let encryptedInput: Payload;

  test('when a campaign runs with the codec, then raw history is ciphertext and the secret is nowhere: history, logs, reports', async () => {
    let authorized = 0;
    const target = await startTarget((req, res) => {
      if (req.headers.authorization === SECRET) authorized += 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    try {
      workflowId = `codec-it-${uid()}`;
      const handle = await startCampaign(codecClient, campaign(target.url), { taskQueue, id: workflowId });
      const result = await handle.result();
      // The campaign really ran and really sent the secret header to the target.
      expect(result.phases.baseline.status).toBe('pass');
      expect(authorized).toBeGreaterThan(10);
      expect(authorized).toBe(target.requests());

      // Raw history, read by a client without the codec: every payload is encrypted.
      const raw = await histories(plainClient, workflowId);
      const all = raw.flatMap(({ workflowId: id, history }) => payloadsIn(history.events, id));
      // Patch markers (`patched()`) carry only the patch id, written by the SDK's core outside the data converter.
      const patchMarkers = all.filter(({ where }) =>
        where.endsWith('markerRecordedEventAttributes.details.patch-data.payloads[0]'),
      );
      for (const { payload } of patchMarkers)
        expect(text(payload.data)).toMatch(/^\{"id":"[a-z-]+","deprecated":false\}$/);
      const notEncrypted = all
        .filter((p) => !patchMarkers.includes(p))
        .filter(({ payload }) => text(payload.metadata?.encoding) !== ENCODING_ENCRYPTED)
        .map(({ where, payload }) => `${where}: ${text(payload.metadata?.encoding)}`);
      expect(notEncrypted).toEqual([]);
      expect(all.length).toBeGreaterThan(10);
      expect(
        new Set(
          all.filter((p) => !patchMarkers.includes(p)).map(({ payload }) => text(payload.metadata?.[METADATA_KEY_ID])),
        ),
      ).toEqual(new Set(['it-new']));

      // What must be encrypted is there: the workflow input, activity inputs and results, the memo, the result.
      const events = raw[0]!.history.events ?? [];
      const started = events[0]!.workflowExecutionStartedEventAttributes!;
      encryptedInput = started.input!.payloads![0]!;
      expect(text(encryptedInput.metadata!.encoding)).toBe(ENCODING_ENCRYPTED);
      expect(Object.keys(started.memo?.fields ?? {})).toEqual(expect.arrayContaining(['campaign', 'owner']));
      for (const p of Object.values(started.memo!.fields!)) expect(text(p.metadata?.encoding)).toBe(ENCODING_ENCRYPTED);
      expect(events.some((e) => e.activityTaskScheduledEventAttributes?.input?.payloads?.length)).toBe(true);
      expect(events.some((e) => e.activityTaskCompletedEventAttributes?.result?.payloads?.length)).toBe(true);
      expect(events.at(-1)!.workflowExecutionCompletedEventAttributes?.result?.payloads).toHaveLength(1);

      // Neither the campaign name (inside the input JSON and the memo) nor the secret is in the raw bytes.
      for (const { history } of raw) {
        const bytes = Buffer.from(temporal.api.history.v1.History.encode(history).finish());
        expect(bytes.includes(CAMPAIGN_NAME)).toBe(false);
        expect(bytes.includes('codec-test-owner')).toBe(false);
        expect(bytes.includes(SECRET)).toBe(false);
        expect(bytes.includes(SECRET_ENV)).toBe(false);
      }

      // Decrypted with the codec, history is readable (the name is there) and still holds no secret.
      const decoded = await codec.decode(all.map(({ payload }) => payload));
      const plain = Buffer.concat(decoded.map((p) => Buffer.from(p.data ?? new Uint8Array())));
      expect(plain.includes(CAMPAIGN_NAME)).toBe(true);
      expect(plain.includes(SECRET_ENV)).toBe(true); // the env reference travels, never its value
      expect(plain.includes(SECRET)).toBe(false);
      const input = defaultPayloadConverter.fromPayload<{ campaign: Campaign }>(
        (await codec.decode([encryptedInput]))[0]!,
      );
      expect(input.campaign.name).toBe(CAMPAIGN_NAME);
      expect((await codecClient.workflow.getHandle(workflowId).describe()).memo).toMatchObject({
        campaign: CAMPAIGN_NAME,
        owner: 'codec-test-owner',
      });

      // A client without the codec sees the encrypted result, not the campaign's result.
      await expect(plainClient.workflow.getHandle(workflowId).result()).rejects.toThrow(/binary\/encrypted/);

      // Logs and reports.
      expect(logs).toContain('campaign recorded');
      expect(logs).not.toContain(SECRET);
      for (const file of ['report.json', 'report.md', 'report.html']) {
        const content = readFileSync(path.join(result.reportDir, file), 'utf8');
        expect(content).toContain(CAMPAIGN_NAME);
        expect(content).not.toContain(SECRET);
      }
    } finally {
      await target.close();
    }
  });

  test('when the Web UI asks the codec server, then /decode returns the original payload and the CORS preflight answers', async () => {
    const origin = 'http://127.0.0.1:8233';
    const server = await startCodecServer({ codec, port: 0, host: '127.0.0.1', corsOrigin: origin });
    try {
      const preflight = await request(`${server.url}/decode`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'x-namespace,content-type,authorization',
        },
      });
      await preflight.body.dump();
      expect(preflight.statusCode).toBe(204);
      expect(preflight.headers['access-control-allow-origin']).toBe(origin);
      expect(preflight.headers['access-control-allow-headers']).toBe('X-Namespace, Content-Type, Authorization');
      expect(preflight.headers['access-control-allow-methods']).toContain('POST');

      const post = async (route: string, payloads: JsonPayload[]) => {
        const res = await request(`${server.url}${route}`, {
          method: 'POST',
          headers: { origin, 'content-type': 'application/json', 'x-namespace': 'default' },
          body: JSON.stringify({ payloads }),
        });
        return {
          status: res.statusCode,
          cors: res.headers['access-control-allow-origin'],
          body: (await res.body.json()) as { payloads: JsonPayload[]; message?: string },
        };
      };

      // The workflow input from raw history, as the UI sends it (proto3 JSON).
      const decoded = await post('/decode', [payloadToJson(encryptedInput)]);
      expect(decoded.status).toBe(200);
      expect(decoded.cors).toBe(origin);
      const [p] = decoded.body.payloads;
      expect(Buffer.from(p!.metadata!.encoding!, 'base64').toString()).toBe('json/plain');
      expect(JSON.parse(Buffer.from(p!.data!, 'base64').toString()).campaign.name).toBe(CAMPAIGN_NAME);

      // /encode then /decode round-trips; plaintext payloads pass /decode untouched.
      const plainJson = payloadToJson(defaultPayloadConverter.toPayload({ hello: 'ui' }));
      const encoded = await post('/encode', [plainJson]);
      expect(Buffer.from(encoded.body.payloads[0]!.metadata!.encoding!, 'base64').toString()).toBe(ENCODING_ENCRYPTED);
      expect((await post('/decode', encoded.body.payloads)).body.payloads).toEqual([plainJson]);
      expect((await post('/decode', [plainJson])).body.payloads).toEqual([plainJson]);

      // A payload under a key this server lacks: 400 naming the key id; malformed bodies: 400.
      const foreign = codecFromEnv({ [CODEC_KEYS_ENV]: `elsewhere:${generateKey()}` })!;
      const [alien] = await foreign.encode([defaultPayloadConverter.toPayload('x')]);
      const refused = await post('/decode', [payloadToJson(alien!)]);
      expect(refused.status).toBe(400);
      expect(refused.body.message).toContain('"elsewhere"');
      const bad = await request(`${server.url}/decode`, { method: 'POST', body: '{"payloads": 3}' });
      expect(bad.statusCode).toBe(400);
      expect(await bad.body.json()).toEqual({ message: 'body must be {"payloads": [...]}' });
      const missing = await request(`${server.url}/other`, { method: 'POST', body: '{}' });
      await missing.body.dump();
      expect(missing.statusCode).toBe(404);
    } finally {
      await server.close();
    }
  });

  test('when `readiness codec-server` runs, then it refuses without keys (exit 2) and serves with them', async () => {
    const refused = await runCli(['codec-server', '--port', '0'], { [CODEC_KEYS_ENV]: '' }, 30_000);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('READINESS_CODEC_KEYS is not set');
    const key = generateKey();
    const malformed = await runCli(
      ['codec-server', '--port', '0'],
      { [CODEC_KEYS_ENV]: `k1:${key.slice(0, 21)}` },
      30_000,
    );
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain('READINESS_CODEC_KEYS entry 1 (key id "k1"): the key is not valid base64');
    expect(malformed.stderr).not.toContain(key.slice(0, 21));

    const { spawn } = await import('node:child_process');
    const child = spawn(
      process.execPath,
      [CLI, 'codec-server', '--port', '0', '--cors-origin', 'http://ui.example:8080'],
      {
        env: { ...process.env, [CODEC_KEYS_ENV]: `k1:${key}` },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d) => {
          out += d;
          const m = /ready: (http:\/\/\S+)/.exec(out);
          if (m) resolve(m[1]!);
        });
        child.once('exit', (code) => reject(new Error(`codec-server exited ${code}`)));
      });
      const res = await request(`${url}/encode`, { method: 'OPTIONS' });
      await res.body.dump();
      expect(res.statusCode).toBe(204);
      expect(res.headers['access-control-allow-origin']).toBe('http://ui.example:8080');
    } finally {
      child.removeAllListeners('exit');
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });
});
