/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  // test/postgresql holds what only the production topology can show (a crash that storage survives).
  testPathIgnorePatterns:
    process.env.KINTO_BACKEND === "postgresql" ? ["/node_modules/"] : ["/node_modules/", "<rootDir>/test/postgresql/"],
  // test/tsconfig.jest.json: CommonJS output, so that the façade's dynamic import() of a lazily
  // loaded capability (src/resources/lazy.ts) becomes a require() that jest runs without ESM flags.
  transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "<rootDir>/test/tsconfig.jest.json" }] },
  // The examples import the package by name, as users do: the tests run them on the sources. The
  // dynamic imports name their module with .js (as Node's ESM needs): resolved to the .ts here.
  moduleNameMapper: { "^kinto-rx$": "<rootDir>/src/index.ts", "^(\\.{1,2}/.*)\\.js$": "$1" },
  globalSetup: "<rootDir>/test/server/global-setup.ts",
  globalTeardown: "<rootDir>/test/server/global-teardown.ts",
  testTimeout: 30000,
};
