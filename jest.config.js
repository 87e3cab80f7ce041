/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "<rootDir>/test/tsconfig.json" }] },
  globalSetup: "<rootDir>/test/server/global-setup.ts",
  globalTeardown: "<rootDir>/test/server/global-teardown.ts",
  testTimeout: 30000,
};
