/**
 * Temporal's remote codec protocol over HTTP, so the Web UI (and `temporal` CLI) can show decrypted
 * payloads: `POST /encode` and `POST /decode` take and return `{"payloads": [...]}` in proto3 JSON.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { CodecKeyError } from './codec';
import type { Logger } from './logger';

/** Options of {@link startCodecServer}. */
export interface CodecServerOptions {
  codec: PayloadCodec;
  /** 0 picks a free port. */
  port: number;
  host: string;
  /** The Web UI's origin, answered to CORS preflights (e.g. `http://127.0.0.1:8233`). */
  corsOrigin: string;
  logger?: Logger;
}

/** A running codec server: its base URL, to configure as the UI's codec endpoint, and `close()`. */
export interface CodecServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** A payload in proto3 JSON: metadata values and data base64-encoded. */
export interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

/** The largest request body accepted: Temporal caps a payload at 2 MB, a UI page sends a few. */
const MAX_BODY_BYTES = 32 * 1024 * 1024;

/** Converts a proto3 JSON payload to the SDK's Payload. */
function payloadFromJson(p: JsonPayload): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
    data: Buffer.from(p.data ?? '', 'base64'),
  };
}

/** Converts the SDK's Payload to proto3 JSON. */
export function payloadToJson(p: Payload): JsonPayload {
  return {
    metadata: Object.fromEntries(
      Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
    ),
    data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
  };
}

class BadRequest extends Error {}

/**
 * Starts the codec server on `host:port`. Every response carries CORS headers for `corsOrigin`;
 * `OPTIONS` answers preflights (allowing X-Namespace, Content-Type, Authorization). A malformed body
 * or a payload that cannot be decrypted is a 400 with the reason (key ids only, never key material).
 * Anyone who can reach the port can decrypt: keep it on loopback or behind an authenticating proxy.
 */
export async function startCodecServer(opts: CodecServerOptions): Promise<CodecServer> {
  const server: Server = createServer((req, res) => {
    cors(res, opts.corsOrigin);
    if (req.method === 'OPTIONS') {
      res.writeHead(204).end();
      return;
    }
    const route = (req.url ?? '').split('?')[0];
    if (route !== '/encode' && route !== '/decode') {
      send(res, 404, { message: 'not found: use POST /encode or POST /decode' });
      return;
    }
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST, OPTIONS');
      send(res, 405, { message: `${req.method} not allowed: use POST ${route}` });
      return;
    }
    handle(req, route, opts).then(
      (payloads) => send(res, 200, { payloads }),
      (err: unknown) => {
        const known = err instanceof BadRequest || err instanceof CodecKeyError;
        opts.logger?.warn(
          { route, namespace: req.headers['x-namespace'], err: (err as Error).message },
          'codec request failed',
        );
        send(res, known ? 400 : 500, { message: known ? (err as Error).message : 'internal error' });
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function handle(
  req: IncomingMessage,
  route: '/encode' | '/decode',
  opts: CodecServerOptions,
): Promise<JsonPayload[]> {
  const body = await readBody(req);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new BadRequest('body is not JSON: expected {"payloads": [...]}');
  }
  const list = (parsed as { payloads?: unknown })?.payloads;
  if (!Array.isArray(list)) throw new BadRequest('body must be {"payloads": [...]}');
  const payloads = list.map((p, i) => payloadFromJson(checkPayload(p, i)));
  const out = route === '/encode' ? await opts.codec.encode(payloads) : await opts.codec.decode(payloads);
  opts.logger?.debug({ route, namespace: req.headers['x-namespace'], count: payloads.length }, 'codec request');
  return out.map(payloadToJson);
}

function checkPayload(p: unknown, i: number): JsonPayload {
  if (!p || typeof p !== 'object') throw new BadRequest(`payloads[${i}] must be an object`);
  const { metadata, data } = p as Record<string, unknown>;
  if (data !== undefined && data !== null && typeof data !== 'string')
    throw new BadRequest(`payloads[${i}].data must be a base64 string`);
  if (metadata !== undefined && metadata !== null) {
    if (typeof metadata !== 'object' || Array.isArray(metadata))
      throw new BadRequest(`payloads[${i}].metadata must be an object of base64 strings`);
    for (const [k, v] of Object.entries(metadata))
      if (typeof v !== 'string') throw new BadRequest(`payloads[${i}].metadata.${k} must be a base64 string`);
  }
  return {
    metadata: (metadata ?? undefined) as Record<string, string> | undefined,
    data: (data ?? undefined) as string | undefined,
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new BadRequest(`body larger than ${MAX_BODY_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function cors(res: ServerResponse, origin: string): void {
  res.setHeader('Access-Control-Allow-Origin', origin);
  res.setHeader('Access-Control-Allow-Credentials', 'true');
  res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
  res.setHeader('Access-Control-Allow-Headers', 'X-Namespace, Content-Type, Authorization');
  res.setHeader('Access-Control-Max-Age', '600');
  res.setHeader('Vary', 'Origin');
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
