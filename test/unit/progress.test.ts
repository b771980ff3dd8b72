import { consoleProgress, formatElapsed } from '../../src/infra/progress';
import { humanLogLine } from '../../src/infra/logger';

function capture(isTTY: boolean) {
  const chunks: string[] = [];
  return { chunks, stream: { isTTY, write: (c: string) => chunks.push(c) } };
}

describe('console progress', () => {
  test('when not on a TTY, then a step prints exactly one line when it starts and one when it ends, with the time it took', async () => {
    let t = 0;
    const { chunks, stream } = capture(false);
    const result = await consoleProgress('readiness demo', stream, () => t).step(
      'building the Temporal CLI',
      '5-10 min',
      async () => {
        t = 372_000;
        return 42;
      },
    );
    expect(result).toBe(42);
    expect(chunks).toEqual([
      'readiness demo: building the Temporal CLI (usually 5-10 min)...\n',
      'readiness demo: building the Temporal CLI: done in 6 min 12 s\n',
    ]);
  });

  test('when on a TTY, then the running step redraws one line with its elapsed time and ends on a plain line', async () => {
    let t = 0;
    const { chunks, stream } = capture(true);
    await consoleProgress('setup', stream, () => t).step('initialising', undefined, async () => {
      t = 800;
      await new Promise((r) => setTimeout(r, 600));
    });
    expect(chunks.length).toBeGreaterThanOrEqual(3);
    expect(chunks.slice(0, -1).every((c) => c.startsWith('\r\x1b[Ksetup: initialising '))).toBe(true);
    expect(chunks.at(-1)).toBe('\r\x1b[Ksetup: initialising: done in 0.8 s\n');
  });

  test('when the step fails, then it says so with the time and the error reaches the caller', async () => {
    const { chunks, stream } = capture(false);
    await expect(
      consoleProgress('x', stream, () => 0).step('migrating', 'seconds', async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(chunks.at(-1)).toBe('x: migrating: failed after 0.0 s\n');
  });

  test.each([
    [400, '0.4 s'],
    [9_949, '9.9 s'],
    [12_400, '12 s'],
    [59_600, '1 min 0 s'],
    [61_000, '1 min 1 s'],
  ])('when %d ms elapsed, then it reads %s', (ms, text) => {
    expect(formatElapsed(ms)).toBe(text);
  });
});

describe('human log lines', () => {
  test('when a pino JSON line is formatted for the console, then it reads level and message, with the extra fields as key=value', () => {
    const line = JSON.stringify({
      level: 40,
      time: 1,
      pid: 2,
      hostname: 'h',
      app: 'readiness',
      cmd: 'demo',
      msg: 'stop failed',
      err: { message: 'ECONNRESET', stack: '...' },
      attempt: 2,
    });
    expect(humanLogLine(line, 'readiness demo')).toBe(
      'readiness demo: warning: stop failed (err=ECONNRESET, attempt=2)\n',
    );
  });

  test('when the line is not JSON, then it is passed through with the prefix', () => {
    expect(humanLogLine('plain\n', 'readiness dev')).toBe('readiness dev: plain\n');
  });
});
