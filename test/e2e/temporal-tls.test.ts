/**
 * Reaching a Temporal cluster over mutual TLS, as against a real deployment: a TLS front (Node's tls
 * server, client certificate required, ALPN h2) before the shared dev server; the CLI and a worker
 * process connect through it with TEMPORAL_TLS_* from the environment. Certificates are made with openssl.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { runCli, spawnWorker, stopWorker } from '../helpers/cli';
import { testEnv, uid } from '../helpers/env';
import { delayed, startTarget } from '../helpers/target';

let dir: string;
let front: tls.Server;
let frontAddress: string;
let handshakes = 0;
let rejected = 0;

/** A CA, and a server and a client certificate it signs (openssl, 1 day). */
function makeCertificates(): void {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  ssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '1',
    '-subj',
    '/CN=readiness test CA',
  );
  for (const [name, ext] of [
    ['server', 'subjectAltName=DNS:localhost,IP:127.0.0.1'],
    ['client', 'extendedKeyUsage=clientAuth'],
  ] as const) {
    ssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      `/CN=${name === 'server' ? 'localhost' : 'readiness-worker'}`,
    );
    writeFileSync(path.join(dir, `${name}.ext`), `${ext}\n`);
    ssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      '1',
      '-extfile',
      `${name}.ext`,
    );
  }
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(testEnv.dir, 'tls-'));
  makeCertificates();
  const [host, port] = testEnv.temporalAddress.split(':');
  front = tls.createServer(
    {
      key: readFileSync(path.join(dir, 'server.key')),
      cert: readFileSync(path.join(dir, 'server.pem')),
      ca: readFileSync(path.join(dir, 'ca.pem')),
      requestCert: true,
      rejectUnauthorized: true,
      ALPNProtocols: ['h2'],
    },
    (socket) => {
      handshakes += 1;
      const upstream = net.connect(Number(port), host);
      socket.pipe(upstream).pipe(socket);
      socket.on('error', () => upstream.destroy());
      upstream.on('error', () => socket.destroy());
    },
  );
  front.on('tlsClientError', () => (rejected += 1));
  await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
  frontAddress = `127.0.0.1:${(front.address() as net.AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => front.close(r));
});

const mtls = () => ({
  TEMPORAL_ADDRESS: frontAddress,
  TEMPORAL_TLS_CA: path.join(dir, 'ca.pem'),
  TEMPORAL_TLS_CERT: path.join(dir, 'client.pem'),
  TEMPORAL_TLS_KEY: path.join(dir, 'client.key'),
  TEMPORAL_TLS_SERVER_NAME: 'localhost',
  DATABASE_URL: testEnv.databaseUrl,
  READINESS_REPORT_DIR: path.join(dir, 'reports'),
  READINESS_LOG_LEVEL: 'warn',
});
const cli = (args: string[], env: NodeJS.ProcessEnv) => runCli([...args, '--data-dir', dir], env);

describe('Temporal over mutual TLS', () => {
  test('when the CLI has the client certificate, then it talks to the cluster through the TLS front', async () => {
    const before = handshakes;
    const r = await cli(['status', 'no-such-campaign'], mtls());
    expect(r.stderr).toContain('no campaign with id "no-such-campaign"');
    expect(r.code).toBe(2);
    expect(handshakes).toBeGreaterThan(before);
  });

  test('when the client certificate is missing, then the front refuses it and the CLI says it cannot reach Temporal (exit 1)', async () => {
    const { TEMPORAL_TLS_CERT: _c, TEMPORAL_TLS_KEY: _k, ...serverOnly } = mtls();
    const before = rejected;
    const r = await cli(['status', 'no-such-campaign'], { ...serverOnly, TEMPORAL_TLS_CERT: '', TEMPORAL_TLS_KEY: '' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot reach the Temporal server at ${frontAddress}`);
    expect(rejected).toBeGreaterThan(before);
  });

  test.each([
    [
      { TEMPORAL_TLS_KEY: '' },
      'TEMPORAL_TLS_KEY: a client certificate needs both TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY',
    ],
    [{ TEMPORAL_TLS_CA: '/nonexistent/ca.pem' }, 'TEMPORAL_TLS_CA: cannot read /nonexistent/ca.pem (ENOENT)'],
    [{ TEMPORAL_TLS: 'maybe' }, 'TEMPORAL_TLS: "maybe" is not true or false'],
  ])('when the TLS settings are wrong (%j), then the command exits 2 naming the variable', async (over, message) => {
    const r = await cli(['status', 'x'], { ...mtls(), ...over });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });

  test('when a worker process connects over mutual TLS, then a campaign started through the same front completes', async () => {
    const target = await startTarget(delayed(2));
    let worker: ChildProcess | undefined;
    try {
      worker = await spawnWorker(mtls());
      const file = path.join(dir, 'c.yaml');
      writeFileSync(
        file,
        `apiVersion: readiness/v1
name: tls-${uid()}
target: { baseUrl: "${target.url}" }
scenario: { requests: [{ name: get, method: GET, path: /x }] }
baseline: { phases: [{ name: smoke, users: 2, duration: 2s }] }
checklist: { defaults: false, items: [{ id: perf.smoke, title: Smoke, category: Performance, severity: P1, automated: { check: baseline.smoke } }] }
`,
      );
      const r = await cli(['start', file, '--wait', '--json', '--id', `tls-${uid()}`], mtls());
      expect(r.stderr).not.toContain('error');
      expect(JSON.parse(r.stdout.trim().split('\n').pop()!)).toMatchObject({ decision: 'GO', scorePct: 100 });
      expect(r.code).toBe(0);
    } finally {
      if (worker) await stopWorker(worker);
      await target.close();
    }
  }, 90_000);
});
