/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  // test/postgresql holds what only the production topology can show (a crash that storage survives).
  testPathIgnorePatterns: process.env.KINTO_BACKEND === "postgresql" ? ["/node_modules/"] : ["/node_modules/", "<rootDir>/test/postgresql/"],
  transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "<rootDir>/test/tsconfig.json" }] },
  // The examples import the package by name, as users do: the tests run them on the sources.
  moduleNameMapper: { "^kinto-rx$": "<rootDir>/src/index.ts" },
  globalSetup: "<rootDir>/test/server/global-setup.ts",
  globalTeardown: "<rootDir>/test/server/global-teardown.ts",
  testTimeout: 30000,
};
