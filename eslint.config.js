import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'oclif.manifest.json'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Layering: oclif only in commands and the CLI glue; the Toxiproxy client only in the driver.
    files: ['src/**/*.ts'],
    ignores: ['src/commands/**', 'src/cli/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: '@oclif/core', message: 'Domain code stays free of oclif; use src/cli or src/commands.' },
          ],
          patterns: [
            {
              group: ['toxiproxy-node-client'],
              message: 'Only src/chaos/toxiproxy-driver.ts talks to the Toxiproxy client.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/commands/**/*.ts', 'src/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['toxiproxy-node-client'],
              message: 'Only src/chaos/toxiproxy-driver.ts talks to the Toxiproxy client.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/chaos/toxiproxy-driver.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
);
