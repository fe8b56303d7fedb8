import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Folders a layer must not import from: the arrows point one way, entry points -> cli -> mqtt -> core. */
const entryPoints = ['../producer.js', '../consumer.js', '../broker.js', '../demo.js'];
const forbidden = (folders, extra = []) => ({
  'no-restricted-imports': [
    'error',
    {
      patterns: [
        {
          group: [...folders.map((folder) => `../${folder}/*`), ...entryPoints],
          message: 'This layer must not depend on that one: see "How the code is organised" in the README.',
        },
      ],
      paths: extra.map((name) => ({ name, message: 'The core does no I/O and knows no MQTT client: values in, events out.' })),
    },
  ],
});

/** The demo uses of the command line only its public surface: the output it may print, how the commands are started, and how options are parsed. */
const demoSurface = ['output.js', 'package.js', 'invocation.js', 'program.js', 'options.js', 'nodes-option.js'];
const demoRule = {
  'no-restricted-imports': [
    'error',
    {
      patterns: [
        {
          group: ['**/cli/*', ...demoSurface.map((module) => `!**/cli/${module}`)],
          message: `The demo imports from cli only ${demoSurface.join(', ')}: the renderers' internals stay free to change.`,
        },
      ],
    },
  ],
};

const io = ['mqtt', 'node:fs', 'node:fs/promises', 'node:net', 'node:tls', 'node:child_process', 'node:os', 'node:timers/promises', 'chalk', 'commander'];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // The CommonJS module that stands in for a dependency's `debug` in the bundles (see scripts/build.ts).
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly', process: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  { files: ['src/core/**'], rules: forbidden(['state', 'mqtt', 'cli', 'brokers', 'demo'], io) },
  { files: ['src/state/**'], rules: forbidden(['mqtt', 'cli', 'brokers', 'demo']) },
  { files: ['src/mqtt/**'], rules: forbidden(['cli', 'brokers', 'demo']) },
  { files: ['src/cli/**'], rules: forbidden(['brokers', 'demo']) },
  { files: ['src/brokers/**'], rules: forbidden(['mqtt', 'demo', 'cli']) },
  { files: ['src/demo/**'], rules: demoRule },
);
