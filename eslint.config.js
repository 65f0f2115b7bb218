// Lint rules for the whole package (flat config). Type-aware rules stay off to keep `npm run
// check` fast on 2 cores; tsc --noEmit does the type checking.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'dist/**',
      '.verge/**',
      'console/dist/**',
      'examples/**/node_modules/**',
      '**/*.min.js',
      // Third-party test suite, vendored byte for byte (test/vendor/cache-tests/VENDORED.md).
      'test/vendor/**',
    ],
  },
  ...tseslint.configs.recommended,
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      'no-restricted-imports': ['error', { patterns: ['../**/node_modules/**'] }],
    },
  },
  {
    // The data plane must not use the ambient fetch: origins go through the pooled undici client.
    files: ['src/edge/**/*.ts'],
    rules: {
      'no-restricted-globals': ['error', { name: 'fetch', message: 'Use the origin client (src/edge/origin).' }],
    },
  },
  {
    // Code that runs inside the sandbox and user examples are plain JS in places.
    files: ['src/runtime/guest/**', 'examples/**', 'test/fixtures/**'],
    rules: { '@typescript-eslint/no-require-imports': 'off', '@typescript-eslint/no-unused-vars': 'off' },
  },
);
