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
    files: ['**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', process: 'readonly', console: 'readonly', __dirname: 'readonly' } },
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
          group: ['**/infra', '**/infra/**', '**/activities', '**/activities/**', '../engine', '../engine/**', '../backup', '../backup/**', '../monitoring', '../monitoring/**', '../cli', '../cli/**', '../demo', '../demo/**', '../bench', '../bench/**'],
          message: 'Workflows may only `import type` from activities, engine, backup, monitoring and the CLI, and never import infra/.', allowTypeImports: true,
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
        patterns: [{ group: ['../infra', '../infra/**', '../activities', '../activities/**', '../engine', '../engine/**', '../cli', '../cli/**'], message: 'core/ imports only core/ and config/ (types from elsewhere).', allowTypeImports: true }],
      }],
    },
  },
);
