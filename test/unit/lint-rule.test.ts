/** The lint wall around workflow code: Node built-ins and I/O libraries are refused there, allowed elsewhere. */
import path from 'node:path';
import { ESLint } from 'eslint';

const ROOT = path.join(__dirname, '..', '..');
// The config is passed in (not loaded by ESLint) because jest's VM has no dynamic import.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const config = require(path.join(ROOT, 'eslint.config.js'));
const eslint = new ESLint({ cwd: ROOT, overrideConfigFile: true, overrideConfig: config });

async function ruleHits(code: string, file: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, file) });
  return result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

async function clockHits(code: string, file: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, file) });
  return result.messages.filter((m) => m.ruleId === 'no-restricted-syntax').map((m) => m.message);
}

describe('workflow import rule', () => {
  test.each([
    "import { readFileSync } from 'node:fs';",
    "import fs from 'fs';",
    "import { request } from 'undici';",
    "import { Pool } from 'pg';",
    "import pino from 'pino';",
    "import { createPool } from '../infra/db';",
    "import { createActivities } from '../activities';",
    "import Redis from 'ioredis';",
    "import { Context } from '@temporalio/activity';",
    "import { Client } from '@temporalio/client';",
    "import { Worker } from '@temporalio/worker';",
    "import { runLoad } from '../engine/run';",
    "import { probe } from '../monitoring/http';",
    "import { pgDump } from '../backup/postgres';",
    "import { startCampaign } from '../cli/campaign-runner';",
  ])('when a workflow file has %s, then lint refuses it', async (line) => {
    expect(await ruleHits(`${line}\nexport const x = 1;\n`, 'src/workflows/probe.ts')).toHaveLength(1);
  });

  test('when a workflow file only imports types from activities, then lint accepts it', async () => {
    expect(
      await ruleHits(
        "import type { createActivities } from '../activities';\nexport type A = typeof createActivities;\n",
        'src/workflows/probe.ts',
      ),
    ).toHaveLength(0);
  });

  test('when a workflow file imports pure core code, then lint accepts it', async () => {
    expect(
      await ruleHits(
        "import { check } from '../core/monitoring';\nimport { judgeStep } from '../core/stress';\nexport const x = [check, judgeStep];\n",
        'src/workflows/probe.ts',
      ),
    ).toHaveLength(0);
  });

  test.each([
    "import { readFileSync } from 'node:fs';",
    "import { request } from 'undici';",
    "import { createPool } from '../infra/db';",
    "import { runLoad } from '../engine/run';",
  ])('when a core file has %s, then lint refuses it (core is pure)', async (line) => {
    expect(await ruleHits(`${line}\nexport const x = 1;\n`, 'src/core/probe.ts')).toHaveLength(1);
  });

  test.each([
    "import { buildReport } from '../report/model';",
    "import { probe } from '../monitoring/http';",
    "import type { Campaign } from '../config/schema';",
  ])(
    'when a core file has %s, then lint refuses it (core imports only core; config imports core, never the other way)',
    async (line) => {
      expect(await ruleHits(`${line}\nexport const x = 1;\n`, 'src/core/probe.ts')).toHaveLength(1);
    },
  );

  test('when a workflow file imports the report module, then lint refuses it', async () => {
    expect(
      await ruleHits(
        "import { renderMarkdown } from '../report/markdown';\nexport const x = renderMarkdown;\n",
        'src/workflows/probe.ts',
      ),
    ).toHaveLength(1);
  });

  test.each(['new Date()', 'Date.now()', 'performance.now()', 'Math.random()'])(
    'when a core file calls %s, then lint refuses it (core reads no clock)',
    async (call) => {
      expect(await clockHits(`export const x = () => ${call};\n`, 'src/core/probe.ts')).toHaveLength(1);
    },
  );

  test('when a core file builds a date from a value it was given, or an activity reads the clock, then lint accepts it', async () => {
    expect(await clockHits('export const x = (ms: number) => new Date(ms);\n', 'src/core/probe.ts')).toHaveLength(0);
    expect(await clockHits('export const x = () => new Date();\n', 'src/activities/probe.ts')).toHaveLength(0);
  });

  test('when an activity imports undici, then lint accepts it', async () => {
    expect(
      await ruleHits("import { request } from 'undici';\nexport const r = request;\n", 'src/activities/probe.ts'),
    ).toHaveLength(0);
  });
});

describe('failure type names', () => {
  test('when a failure type is named in src, then it is through FAILURE (core/errors.ts), never a bare string a typo could turn into retries', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const { FAILURE } = await import('../../src/core/errors');
    const files = (readdirSync(path.join(ROOT, 'src'), { recursive: true }) as string[]).filter(
      (f) => f.endsWith('.ts') && f !== path.join('core', 'errors.ts'),
    );
    const bare = files.flatMap((f) => {
      const text = readFileSync(path.join(ROOT, 'src', f), 'utf8');
      return Object.values(FAILURE)
        .filter((name) => text.includes(`'${name}'`) || text.includes(`"${name}"`))
        .map((name) => `${f}: '${name}'`);
    });
    expect(bare).toEqual([]);
  });
});
