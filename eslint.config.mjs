// ESLint (flat config) with typescript-eslint: `npm run lint`.
// Type-aware rules are chosen one by one for the bugs they catch (a Promise nobody awaits, a
// Promise where a callback's result is ignored, an `await` on a non-Promise, a deprecated API)
// rather than taken wholesale from `recommendedTypeChecked`, whose `no-unsafe-*` rules mostly
// flag the `any` that tests use on purpose to build hostile payloads.
import js from "@eslint/js";
import { defineConfig } from "eslint/config";
import globals from "globals";
import tseslint from "typescript-eslint";

export default defineConfig(
  {
    ignores: [
      "**/node_modules/",
      "dist/",
      "docs/api/",
      "coverage/",
      "bench/results/",
      "examples/angular/dist/",
      "examples/angular/.angular/",
      "examples/angular/src/readme/",
      "**/.venv*/",
    ],
  },
  { linterOptions: { reportUnusedDisableDirectives: "error" } },
  js.configs.recommended,
  {
    files: ["**/*.{ts,mts,cts}"],
    extends: [tseslint.configs.recommended],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/await-thenable": "error",
      "@typescript-eslint/no-deprecated": "error",
      "@typescript-eslint/no-for-in-array": "error",
      "@typescript-eslint/no-implied-eval": "error",
      "@typescript-eslint/only-throw-error": "error",
      // Rejecting with an error received as `unknown` (passing it on) is fine; a string is not.
      "@typescript-eslint/prefer-promise-reject-errors": ["error", { allowThrowingAny: true, allowThrowingUnknown: true }],
      "@typescript-eslint/switch-exhaustiveness-check": ["error", { considerDefaultExhaustiveForUnions: true }],
      // Unused locals and parameters are TypeScript's check (noUnusedLocals and noUnusedParameters in
      // tsconfig.json): it counts a type imported for a doc comment's {@link}, ESLint's rule does not.
      "@typescript-eslint/no-unused-vars": "off",
      // `interface DownloadOptions extends Pick<...> {}` names a type for the docs.
      "@typescript-eslint/no-empty-object-type": ["error", { allowInterfaces: "with-single-extends" }],
    },
  },
  {
    // Tests and benchmarks build hostile payloads and reach into responses: `any` is their tool.
    files: ["test/**", "bench/**"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
  {
    // The CommonJS consumer's point is `import x = require("kinto-rx")`.
    files: ["test/angular/nodenext/*.cts"],
    rules: { "@typescript-eslint/no-require-imports": ["error", { allowAsImport: true }] },
  },
  {
    // demo/ has no tsconfig of its own: test/tsconfig.json compiles it.
    files: ["demo/**/*.ts"],
    languageOptions: { parserOptions: { projectService: false, project: "./test/tsconfig.json", tsconfigRootDir: import.meta.dirname } },
  },
  {
    // The Angular app is compiled by its own toolchain, from its own node_modules (installed by
    // scripts/angular-app.sh, maybe not yet): linted without type information.
    files: ["examples/angular/**/*.ts"],
    extends: [tseslint.configs.disableTypeChecked],
    rules: {
      // This project's tsc does not compile the app, so the unused check is ESLint's here.
      "@typescript-eslint/no-unused-vars": ["error", { caughtErrors: "none", ignoreRestSiblings: true }],
    },
  },
  {
    files: ["**/*.{js,mjs,cjs}"],
    languageOptions: { globals: globals.node },
  },
  {
    files: ["test/browser/app.js"],
    languageOptions: { globals: globals.browser, sourceType: "script" },
  },
);
