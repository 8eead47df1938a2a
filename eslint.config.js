import js from '@eslint/js';
import ts from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';
import prettier from 'eslint-config-prettier';
import globals from 'globals';

// The dependency table of ARCHITECTURE.md, enforced per folder.
const ML = [
  'onnxruntime-web',
  'onnxruntime-web/*',
  '@huggingface/transformers',
  '@huggingface/transformers-structured-output',
];
const forbid = (...groups) => ({
  'no-restricted-imports': [
    'error',
    {
      patterns: [{ group: groups.flat(), message: 'This layer may not import that (see ARCHITECTURE.md).' }],
    },
  ],
});
const rpc = ['**/lib/rpc/**', '**/rpc/*'];
const store = ['**/lib/store/**', '**/store/*', 'idb'];
const runtime = ['**/lib/runtime/**', '**/runtime/*'];
const workersDir = ['**/workers/**'];
const services = ['**/lib/services/**', '**/services/*'];
const state = ['**/lib/state/**', '**/state/*'];
const svelteFiles = ['*.svelte', '**/*.svelte', '*.svelte.ts', '**/*.svelte.ts', 'svelte', 'svelte/*'];
const sideEffects = [
  ...rpc,
  ...store,
  ...runtime,
  ...workersDir,
  ...services,
  ...state,
  ...ML,
  ...svelteFiles,
];

export default ts.config(
  {
    ignores: [
      'dist/',
      'dist-*/',
      'node_modules/',
      'public/models/',
      'test-results/',
      'playwright-report/',
      '.bench/',
      'stubs/',
    ],
  },
  js.configs.recommended,
  ...ts.configs.recommended,
  ...svelte.configs['flat/recommended'],
  prettier,
  ...svelte.configs['flat/prettier'],
  {
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: ts.parser, extraFileExtensions: ['.svelte'] } },
  },
  {
    files: ['src/views/**', 'src/lib/components/**', 'src/App.svelte'],
    rules: forbid(rpc, store, runtime, workersDir, services, ML),
  },
  { files: ['src/lib/state/**'], rules: forbid(rpc, store, runtime, workersDir, ML) },
  { files: ['src/lib/services/**'], rules: forbid(state, svelteFiles, runtime, ML) },
  // The configuration is plain data made at the composition root: it depends on nothing with effects.
  { files: ['src/lib/config/**'], rules: forbid(sideEffects) },
  {
    files: [
      'src/lib/gate/**',
      'src/lib/prompt/**',
      'src/lib/domain/**',
      'src/lib/layout/**',
      'src/lib/planner/**',
    ],
    rules: forbid(sideEffects),
  },
  {
    files: ['src/lib/schedulers/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '^(?!\\./)', message: 'Schedulers import nothing but their siblings.' }] },
      ],
    },
  },
  {
    files: ['src/lib/pipeline/**', 'src/lib/judge/**'],
    rules: forbid(ML, svelteFiles, store, state, services, rpc),
  },
  { files: ['src/lib/runtime/**'], rules: forbid(svelteFiles, store, state, services) },
  { files: ['workers/**'], rules: forbid(svelteFiles, state, services, ['**/views/**', '**/components/**']) },
);
