// ESLint for the TypeScript sources and tests: typescript-eslint's type-aware recommended rules.
// Import direction between rooms (and cycles) is checked by dependency-cruiser
// (.dependency-cruiser.cjs), so this file only judges the code inside a module.
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'trainer/', 'var/', 'models/', 'bench/out/', '.venv/'] },
  {
    files: ['**/*.ts'],
    extends: [eslint.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: {
        // One program for sources and tests: test/tsconfig.json includes every room.
        project: './test/tsconfig.json',
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // `async` is how our interfaces say "returns a promise" (Command.run, Fastify plugins and
      // handlers, test doubles of async ports); Fastify even changes behaviour without it. A
      // forgotten await is still caught by no-floating-promises and no-misused-promises.
      '@typescript-eslint/require-await': 'off',
      // `({ line: _line, ...rest }) => rest` is how we drop a field; the dropped name is unused by design.
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true }],
    },
  },
  {
    // The browser console is its own TypeScript program (DOM library, bundler resolution).
    files: ['console/**/*.ts'],
    languageOptions: { parserOptions: { project: './console/tsconfig.json', tsconfigRootDir: import.meta.dirname } },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // Tests read JSON bodies (`res.json()` is `any` in light-my-request) and assert their
      // values with expect(); the assertion is the type check there.
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
);
