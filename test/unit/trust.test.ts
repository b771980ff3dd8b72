/**
 * The trust boundary's pure parts: the URL builder (no path can change the host), the egress policy, declared
 * secrets, scrubbing, and the worker's trust settings.
 */
import fc from 'fast-check';
import {
  baseUrlProblems,
  buildUrl,
  connectionHosts,
  egressPolicyFromEnv,
  egressRefusal,
  pathProblems,
  redactUserinfo,
  UrlError,
} from '../../src/core/egress';
import { EnvironmentError } from '../../src/core/errors';
import { chosenIdProblem } from '../../src/core/names';
import { isReservedEnvName, scrubValue, secretEnvRefusal, secretForms } from '../../src/core/secrets';
import { reportDirFor } from '../../src/report/write';
import { connectionRefusal } from '../../src/activities/egress';
import { registerSecretValue, scrubError } from '../../src/infra/secrets';
import { ApplicationFailure } from '@temporalio/common';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { insideRoots } from '../../src/activities/backup';
import { MAX_COMMAND_OUTPUT_BYTES } from '../../src/backup/service';
import { run } from '../../src/infra/process';
import {
  parseBackupRoots,
  parseFaultCommands,
  parseRecoveryCommands,
  workerTrustFromEnv,
} from '../../src/infra/worker-config';
import { yamlProblems, MINIMAL_YAML } from '../helpers/config';
import { parseCampaignYaml, undeclaredSecretProblems } from '../../src/config/load';

describe('the URL builder', () => {
  test.each([
    ['http://127.0.0.1:9090', '/api/v1/targets', 'http://127.0.0.1:9090/api/v1/targets'],
    ['http://127.0.0.1:9090/prom/', '/api/v1/rules', 'http://127.0.0.1:9090/prom/api/v1/rules'],
    ['http://127.0.0.1:9090', '/api/v1/targets?state=active', 'http://127.0.0.1:9090/api/v1/targets?state=active'],
    ['http://127.0.0.1:8080', '/a/../../../b', 'http://127.0.0.1:8080/b'],
    ['http://127.0.0.1:8080', '/%2F%2Fother/x', 'http://127.0.0.1:8080/%2F%2Fother/x'],
  ])('when %s and %s are joined, then the URL is %s', (base, path, url) => {
    expect(buildUrl(base, path).href).toBe(url);
  });

  test.each([
    ['a path naming another host', 'http://127.0.0.1:8080', '//127.0.0.3:9/x', /must not start with "\/\/"/],
    ['a backslash path', 'http://127.0.0.1:8080', '/\\127.0.0.3/x', /must not contain "\\"/],
    ['a base with a query', 'http://127.0.0.1:9090/?x=', '/api/v1/targets', /must not have a query/],
    ['a base with a fragment', 'http://127.0.0.1:9090/#', '/api/v1/targets', /must not have a fragment/],
    ['a base with credentials', 'http://admin:pw@127.0.0.1:9090', '/api', /must not carry credentials/],
    ['a non-http base', 'file:///etc/passwd', '', /http:\/\/ or https:\/\//],
  ])('when the input is %s, then building refuses it', (_what, base, path, message) => {
    expect(() => buildUrl(base, path)).toThrow(UrlError);
    expect(() => buildUrl(base, path)).toThrow(message);
  });

  test('when credentials are in a refused base, then the error does not print them', () => {
    expect(() => buildUrl('http://admin:hunter22@127.0.0.1/', '/x')).toThrow(
      /^http:\/\/127\.0\.0\.1\/ \(credentials removed\)/,
    );
    expect(redactUserinfo('http://u:p@h/')).not.toContain('p@');
  });

  test('when any path is appended to an allowed base, then the result stays on its origin or building refuses', () => {
    const chars = fc.constantFrom('/', '\\', '.', '@', ':', '?', '#', '%', 'a', '1', ' ', '\t', '\n', '[', ']');
    fc.assert(
      fc.property(
        fc.array(chars, { maxLength: 20 }).map((c) => c.join('')),
        (path) => {
          try {
            expect(buildUrl('http://127.0.0.1:8080', path).origin).toBe('http://127.0.0.1:8080');
          } catch (err) {
            expect(err).toBeInstanceOf(UrlError);
          }
        },
      ),
      { numRuns: 10_000 },
    );
  });
});

describe('the egress policy', () => {
  const policy = egressPolicyFromEnv({
    READINESS_ALLOWED_HOSTS: '127.0.0.1, staging.example',
    READINESS_ALLOWED_SYSTEM_HOSTS: 'loopback,*.monitoring.internal',
  });

  test.each([
    ['127.0.0.1', 'target', true],
    ['staging.example', 'target', true],
    ['127.0.0.3', 'target', false],
    ['prom.monitoring.internal', 'target', false],
    ['127.0.0.3', 'system', true],
    ['prom.monitoring.internal', 'system', true],
    ['staging.example', 'system', false],
    ['monitoring.internal', 'system', false],
  ] as const)('when %s is reached for a %s, then allowed=%p', (host, purpose, ok) => {
    expect(egressRefusal(host, purpose, policy) === undefined).toBe(ok);
  });

  test('when a host is refused, then the refusal names the host, the list and the variable to change', () => {
    expect(egressRefusal('10.0.0.5', 'target', policy)).toBe(
      'host "10.0.0.5" is not on this worker\'s allowlist for targets (127.0.0.1, staging.example): refused before connecting; add it to READINESS_ALLOWED_HOSTS on the worker to allow it',
    );
    expect(egressRefusal('10.0.0.5', 'system', policy)).toMatch(
      /monitoring and backup systems \(loopback, \*\.monitoring\.internal\).*READINESS_ALLOWED_SYSTEM_HOSTS/,
    );
  });

  test('when an IP is written in another form, then the URL parser normalises it before the check', () => {
    const only = egressPolicyFromEnv({ READINESS_ALLOWED_HOSTS: '127.0.0.1' });
    for (const u of ['http://2130706435/', 'http://0x7f.0.0.3/', 'http://127.3/', 'http://[::ffff:127.0.0.3]/']) {
      expect(egressRefusal(new URL(u).hostname, 'target', only)).toMatch(/is not on this worker's allowlist/);
    }
  });

  test("when the system list is unset, then systems use the targets' list", () => {
    expect(egressPolicyFromEnv({ READINESS_ALLOWED_HOSTS: 'a.example' })).toEqual({
      targets: ['a.example'],
      systems: ['a.example'],
    });
    expect(egressPolicyFromEnv({})).toEqual({ targets: ['loopback'], systems: ['loopback'] });
  });

  test.each([
    ['postgres://u:p@db.internal:5432/orders', ['db.internal']],
    ['postgresql:///orders?host=/var/run/postgresql', ['localhost']],
    ['redis://:pw@127.0.0.3:6379/0', ['127.0.0.3']],
    ['postgres://u@[::1]/x', ['[::1]']],
    ['not a url', undefined],
    // pg connects to ?host=, ioredis to the URL's host: both are checked.
    ['redis://127.0.0.3:6379/0?host=127.0.0.1', ['127.0.0.3', '127.0.0.1']],
    ['postgres://127.0.0.1/x?host=db.internal', ['127.0.0.1', 'db.internal']],
  ])('when a connection string is %s, then the hosts it could reach are %s', (url, hosts) => {
    expect(connectionHosts(url)).toEqual(hosts);
  });

  test('when one of the hosts a connection string could reach is off the allowlist, then the drill is refused', () => {
    const policy = { targets: ['loopback'], systems: ['127.0.0.1'] };
    expect(connectionRefusal('redis://127.0.0.3:6379/0?host=127.0.0.1', policy)).toMatch(/127\.0\.0\.3/);
    expect(connectionRefusal('postgres://127.0.0.1/x?host=127.0.0.3', policy)).toMatch(/127\.0\.0\.3/);
    expect(connectionRefusal('postgres://127.0.0.1/x', policy)).toBeUndefined();
  });
});

describe('configured URLs and paths in a campaign', () => {
  test.each([
    [
      'target.baseUrl with credentials',
      'baseUrl: http://127.0.0.1:8080',
      'baseUrl: "http://admin:pw@127.0.0.1:8080"',
      'target.baseUrl: baseUrl must not carry credentials',
    ],
    [
      'target.baseUrl with a query',
      'baseUrl: http://127.0.0.1:8080',
      'baseUrl: "http://127.0.0.1:8080/?x="',
      'target.baseUrl: baseUrl must not have a query',
    ],
    [
      'target.baseUrl with a path',
      'baseUrl: http://127.0.0.1:8080',
      'baseUrl: "http://127.0.0.1:8080/api"',
      'target.baseUrl: baseUrl must not have a path',
    ],
    [
      'a healthPath naming another host',
      'baseUrl: http://127.0.0.1:8080',
      'baseUrl: http://127.0.0.1:8080, healthPath: "//127.0.0.3/x"',
      'target.healthPath: healthPath must not start with "//"',
    ],
    [
      'a request path with a backslash',
      'path: /',
      'path: "/\\\\127.0.0.3/x"',
      'scenario.requests[0].path: path must not contain "\\"',
    ],
  ])('when the campaign has %s, then validation refuses it naming the field', (_what, from, to, problem) => {
    const yaml = MINIMAL_YAML.replace(from, to);
    expect(yaml).not.toBe(MINIMAL_YAML);
    expect(yamlProblems(yaml).join('\n')).toContain(problem);
  });

  test('when a monitoring URL carries credentials or a fragment, then validation refuses it', () => {
    const problems = yamlProblems(
      `${MINIMAL_YAML}monitoring: { prometheus: { url: "http://u:p@127.0.0.1:9090" }, loki: { url: "http://127.0.0.1:3100/#x" } }\n`,
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('monitoring.prometheus.url: prometheus.url must not carry credentials'),
        expect.stringContaining('monitoring.loki.url: loki.url must not have a fragment'),
      ]),
    );
  });

  test("when a fromEnv names the worker's own configuration, then validation refuses it", () => {
    const problems = yamlProblems(
      MINIMAL_YAML.replace(
        'baseUrl: http://127.0.0.1:8080',
        'baseUrl: http://127.0.0.1:8080, headers: { Authorization: { fromEnv: DATABASE_URL }, X-A: { fromEnv: READINESS_CODEC_KEYS }, X-B: { fromEnv: TEMPORAL_API_KEY } }',
      ),
    );
    expect(problems.filter((p) => p.includes("the worker's own configuration"))).toHaveLength(3);
  });

  test.each(['/health', '/a/b?x=1', '/{{id}}'])('when a path is %s, then it is accepted', (p) =>
    expect(pathProblems(p.split('?')[0]!)).toEqual([]),
  );
  test.each(['http://127.0.0.1:9090', 'https://prom.example/prefix/'])('when a base is %s, then it is accepted', (u) =>
    expect(baseUrlProblems(u)).toEqual([]),
  );
});

describe('declared secrets', () => {
  test.each(['DATABASE_URL', 'TEMPORAL_API_KEY', 'TEMPORAL_TLS_KEY', 'READINESS_CODEC_KEYS', 'READINESS_SECRET_ENV'])(
    'when a campaign names %s, then it is reserved whatever is declared',
    (name) => {
      expect(isReservedEnvName(name)).toBe(true);
      expect(secretEnvRefusal(name, [name])).toMatch(/is the worker's own configuration/);
    },
  );

  test('when a campaign names an undeclared variable, then the refusal says how to declare it', () => {
    expect(secretEnvRefusal('AWS_SECRET_ACCESS_KEY', ['API_TOKEN'])).toBe(
      'environment variable AWS_SECRET_ACCESS_KEY is not declared for campaigns on this worker: add it to READINESS_SECRET_ENV (now API_TOKEN)',
    );
    expect(secretEnvRefusal('API_TOKEN', ['API_TOKEN'])).toBeUndefined();
  });

  test('when a result quotes a secret raw, escaped, URL-encoded or base64, then scrubbing removes every form, in values and keys', () => {
    const secret = 'Bearer s3cr/t+"x"';
    const forms = secretForms(secret);
    const echoed = {
      raw: `auth was ${secret}`,
      json: JSON.stringify({ h: secret }),
      url: `?t=${encodeURIComponent(secret)}`,
      b64: Buffer.from(secret).toString('base64'),
      nested: [{ [secret]: 1 }],
      n: 3,
    };
    const scrubbed = JSON.stringify(scrubValue(echoed, forms));
    for (const f of forms) expect(scrubbed).not.toContain(f);
    expect(scrubbed).toContain('[redacted]');
    const clean = { a: 'nothing here', b: [1, 2] };
    expect(scrubValue(clean, forms)).toBe(clean);
  });

  test('when an activity error carries a secret only in its cause, then the error and its whole cause chain are scrubbed (stacks included)', () => {
    const secret = 'cause-only-s3cret-value';
    registerSecretValue(secret);
    const inner = new Error(`upstream said ${secret}`);
    const outer = new Error('the probe failed', { cause: new Error('a wrapper', { cause: inner }) });
    const scrubbedErr = scrubError(outer) as ApplicationFailure;
    expect(scrubbedErr).toBeInstanceOf(ApplicationFailure);
    const chain: string[] = [];
    for (let e: unknown = scrubbedErr; e instanceof Error; e = e.cause) chain.push(e.message, e.stack ?? '');
    expect(chain.join('\n')).not.toContain(secret);
    expect(chain.join('\n')).toContain('upstream said [redacted]');
    const clean = new Error('nothing secret', { cause: new Error('still nothing') });
    expect(scrubError(clean)).toBe(clean);
  });
});

describe("the CLI's early check of declared secrets", () => {
  const campaign = parseCampaignYaml(
    MINIMAL_YAML.replace(
      'baseUrl: http://127.0.0.1:8080',
      'baseUrl: http://127.0.0.1:8080, headers: { Authorization: { fromEnv: API_TOKEN }, X-B: { fromEnv: OTHER } }',
    ),
  );

  test('when READINESS_SECRET_ENV is set where the CLI runs, then each undeclared reference is a problem naming its field', () => {
    expect(undeclaredSecretProblems(campaign, { READINESS_SECRET_ENV: 'API_TOKEN' })).toEqual([
      {
        path: 'target.headers.X-B',
        message:
          'environment variable OTHER is not declared for campaigns on this worker: add it to READINESS_SECRET_ENV (now API_TOKEN)',
      },
    ]);
  });

  test('when READINESS_SECRET_ENV is not set where the CLI runs, then the CLI leaves the check to the worker', () => {
    expect(undeclaredSecretProblems(campaign, {})).toEqual([]);
  });
});

describe("the worker's trust settings", () => {
  test('when READINESS_RECOVERY_COMMANDS is well formed, then each name maps to its whole argv', () => {
    expect(parseRecoveryCommands('{"restart-api": ["/usr/bin/systemctl", "restart", "api"]}')).toEqual({
      'restart-api': ['/usr/bin/systemctl', 'restart', 'api'],
    });
    expect(parseRecoveryCommands(undefined)).toEqual({});
  });

  test.each([
    ['not JSON', 'restart-api=/bin/x', /not JSON/],
    ['an array', '[]', /not a JSON object/],
    ['a bare program name', '{"x": ["systemctl", "restart"]}', /must be an absolute path \(no PATH lookup\)/],
    ['an empty argv', '{"x": []}', /non-empty array/],
    ['a bad name', '{"Restart API": ["/bin/true"]}', /command name "Restart API"/],
  ])(
    'when READINESS_RECOVERY_COMMANDS is %s, then the worker refuses to start, naming the variable',
    (_what, value, message) => {
      expect(() => parseRecoveryCommands(value)).toThrow(EnvironmentError);
      expect(() => parseRecoveryCommands(value)).toThrow(message);
    },
  );

  test('when READINESS_FAULT_COMMANDS declares pairs, then each is a stop and a start argv, and nothing else', () => {
    const pair = { stop: ['/usr/bin/systemctl', 'stop', 'redis'], start: ['/usr/bin/systemctl', 'start', 'redis'] };
    expect(parseFaultCommands(JSON.stringify({ redis: pair }))).toEqual({ redis: pair });
    expect(parseFaultCommands(undefined)).toEqual({});
    for (const [value, message] of [
      ['{"redis": ["/bin/true"]}', /"redis" must be \{stop: argv, start: argv\}/],
      ['{"redis": {"stop": ["/bin/true"]}}', /"redis".start must be a non-empty array/],
      ['{"redis": {"stop": ["kill"], "start": ["/bin/true"]}}', /"redis".stop: the program must be an absolute path/],
      ['{"redis": {"stop": ["/bin/true"], "start": ["/bin/true"], "check": ["/bin/true"]}}', /unknown key\(s\) check/],
    ] as const) {
      expect(() => parseFaultCommands(value)).toThrow(EnvironmentError);
      expect(() => parseFaultCommands(value)).toThrow(message);
      expect(() => workerTrustFromEnv({ READINESS_FAULT_COMMANDS: value })).toThrow(/READINESS_FAULT_COMMANDS/);
    }
  });

  test('when the old READINESS_ALLOWED_COMMANDS is set, then the worker says what replaced it', () => {
    expect(() => workerTrustFromEnv({ READINESS_ALLOWED_COMMANDS: 'pkill' })).toThrow(/READINESS_RECOVERY_COMMANDS/);
  });

  test('when READINESS_BACKUP_ROOTS lists directories, then only absolute ones are accepted', () => {
    expect(parseBackupRoots('/var/backups:/srv/dumps/')).toEqual(['/var/backups', '/srv/dumps']);
    expect(() => parseBackupRoots('backups')).toThrow(/READINESS_BACKUP_ROOTS: "backups" is not an absolute path/);
  });

  test('when a backupDirectory is checked against the roots, then only a directory really inside one passes (symlinks and ".." resolved)', () => {
    const base = mkdtempSync(path.join(tmpdir(), 'roots-'));
    const root = path.join(base, 'backups');
    const outside = path.join(base, 'elsewhere');
    mkdirSync(path.join(root, 'orders'), { recursive: true });
    mkdirSync(outside);
    symlinkSync(outside, path.join(root, 'escape'));
    try {
      expect(insideRoots(path.join(root, 'orders'), [root])).toBe(true);
      expect(insideRoots(root, [root])).toBe(true);
      expect(insideRoots(path.join(root, 'new-dir'), [root])).toBe(true);
      expect(insideRoots(outside, [root])).toBe(false);
      expect(insideRoots(path.join(root, 'escape'), [root])).toBe(false);
      expect(insideRoots(path.join(root, 'escape', 'not-yet', 'created'), [root])).toBe(false);
      expect(insideRoots(path.join(root, '..', 'elsewhere'), [root])).toBe(false);
      expect(insideRoots(`${root}-sibling`, [root])).toBe(false);
      expect(insideRoots(path.join(root, 'orders'), [])).toBe(false);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });

  test('when a recovery command writes far more than the cap, then the worker keeps at most the cap of each stream and the command still completes', async () => {
    const ran = await run(
      '/bin/sh',
      ['-c', 'head -c 5000000 /dev/zero | tr "\\0" x; head -c 3000000 /dev/zero | tr "\\0" y >&2; exit 3'],
      { maxOutputBytes: MAX_COMMAND_OUTPUT_BYTES },
    );
    expect(ran.code).toBe(3);
    expect(Buffer.byteLength(ran.stdout)).toBeLessThanOrEqual(MAX_COMMAND_OUTPUT_BYTES);
    expect(Buffer.byteLength(ran.stderr)).toBeLessThanOrEqual(MAX_COMMAND_OUTPUT_BYTES);
    expect(ran.stdout.length).toBeGreaterThan(0);
    expect(ran.stderr.length).toBeGreaterThan(0);
  });
});

describe('ids and report paths', () => {
  test.each(['../../x', 'a/b', '.hidden', 'a..b', '', 'x'.repeat(201), 'a b', 'a\u0000b'])(
    'when an id is %j, then it is refused',
    (id) => {
      expect(chosenIdProblem(id)).toBeDefined();
    },
  );

  test.each(['readiness-orders-20261202T080000Z', 'Team.A_1-x'])('when an id is %s, then it is accepted', (id) =>
    expect(chosenIdProblem(id)).toBeUndefined(),
  );

  test('when a report directory is built, then it is always one segment under the root', () => {
    expect(reportDirFor('/srv/reports', 'readiness-x-scheduled-2026-01-05T06:00:00Z')).toBe(
      '/srv/reports/readiness-x-scheduled-2026-01-05T06:00:00Z',
    );
    for (const id of ['../x', '..', '.', 'a/../../b', '/etc', 'a\\b', ''])
      expect(() => reportDirFor('/srv/reports', id)).toThrow(/cannot name a report directory/);
  });
});
