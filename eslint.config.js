import tseslint from 'typescript-eslint'

const framework = ['fastify', 'fastify/*', '@fastify/*', 'drizzle-orm', 'drizzle-orm/*', 'pg', '@electric-sql/*', 'pino']

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', '.tap/', 'data/'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
  },
  // Plain JavaScript (this file, the CI scripts) is outside tsconfig: it gets the untyped rules only.
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Fastify answers an async handler's return value and turns an async hook's throw into the error
      // reply, so an async function without await is its idiom; no-floating-promises and
      // no-misused-promises still catch the promise mistakes that matter.
      '@typescript-eslint/require-await': 'off',
      'no-restricted-syntax': [
        'error',
        { selector: "MemberExpression[object.name='process'][property.name='env']", message: 'Read configuration through src/config.ts' },
      ],
    },
  },
  {
    // The domain (SCIM rules, provisioning) never imports the framework or the ORM: it is tested and read without them.
    files: ['src/scim/**/*.ts', 'src/provisioning/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: framework, message: 'Domain code stays free of HTTP and storage libraries' }] },
      ],
    },
  },
  {
    // Tests read response bodies as parsed JSON of whatever shape the server sent and assert on it:
    // typing each body would restate the assertions. tap's top-level test() calls are awaited by tap.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: ['@tapjs/core', '@tapjs/test', 'tap'].map((package_) => ({
            from: 'package',
            package: package_,
            name: 'test',
          })),
        },
      ],
    },
  },
  {
    files: ['src/config.ts', 'test/**/*.ts', 'bench/**/*.ts', 'scripts/**'],
    rules: { 'no-restricted-syntax': 'off' },
  },
)
