// Lint: TypeScript rules everywhere, plus a hard wall around workflow code (deterministic sandbox).
const tseslint = require('typescript-eslint');
const js = require('@eslint/js');
const { builtinModules } = require('node:module');

const banned = [
  ...builtinModules,
  ...builtinModules.map((m) => `node:${m}`),
  'undici', 'pg', 'pino', 'hdr-histogram-js', 'yaml', 'ioredis',
  '@temporalio/activity', '@temporalio/client', '@temporalio/worker',
];

module.exports = tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.readiness/**', '.cache/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', process: 'readonly', console: 'readonly', __dirname: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', fetch: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: banned.map((name) => ({ name, message: 'Workflow code must be deterministic: no Node built-ins or I/O libraries. Do it in an activity.', allowTypeImports: true })),
        patterns: [{
          // Everything outside core/, config/ and the workflows themselves does I/O or runs load.
          group: ['**/infra', '**/infra/**', '**/activities', '**/activities/**', '../engine', '../engine/**', '../backup', '../backup/**', '../monitoring', '../monitoring/**', '../cli', '../cli/**', '../demo', '../demo/**', '../bench', '../bench/**', '../report', '../report/**'],
          message: 'Workflows may only `import type` from activities, engine, backup, monitoring, report and the CLI, and never import infra/.', allowTypeImports: true,
        }],
      }],
    },
  },
  {
    // core/ is pure decisions: no I/O, no Node built-ins, no SDK that talks to a server.
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: banned.map((name) => ({ name, message: 'core/ is pure: no Node built-ins or I/O libraries. Do it in infra/ or an activity.', allowTypeImports: true })),
        patterns: [{ group: ['../infra', '../infra/**', '../activities', '../activities/**', '../engine', '../engine/**', '../cli', '../cli/**', '../report', '../report/**', '../backup', '../backup/**', '../monitoring', '../monitoring/**'], message: 'core/ imports only core/ (types from elsewhere).', allowTypeImports: true },
          { group: ['../config', '../config/**'], message: 'core/ is below config/: config imports core, so core never imports config, not even a type (no cycle).' }],
      }],
      // Decisions take `now` as an argument: core reads no clock and draws no random number.
      'no-restricted-syntax': ['error',
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'core/ reads no clock: pass `now` in.' },
        { selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: 'core/ reads no clock: pass `now` in.' },
        { selector: "CallExpression[callee.object.name='performance'][callee.property.name='now']", message: 'core/ reads no clock: pass `now` in.' },
        { selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']", message: 'core/ draws no random number: pass it in.' },
      ],
    },
  },
);
