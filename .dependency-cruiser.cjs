/**
 * The layers of src/ (`npm run lint:deps`, with .dependency-cruiser-cycles.cjs for cycles): imports
 * only look down, http <- protocol <- streams <- resources <- cli and angular, as issue 12 lays
 * them out.
 *
 * Here type-only imports count (`tsPreCompilationDeps: true`): a type imported from a higher layer
 * couples the lower one to it as much as a value does (streams/batch.ts naming the Collection
 * type was such a case), even though the compiled JavaScript no longer shows it.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "http-looks-down",
      severity: "error",
      comment: "src/http talks HTTP: it knows nothing of Kinto's protocol pieces, streams, resources, the CLI or Angular.",
      from: { path: "^src/http/" },
      to: { path: "^src/(protocol|resources|streams|cli|angular)/|^src/index\\.ts$" },
    },
    {
      name: "protocol-looks-down",
      severity: "error",
      comment: "src/protocol (options, paths, codecs, scope) sits on src/http, below streams and resources.",
      from: { path: "^src/protocol/" },
      to: { path: "^src/(resources|streams|cli|angular)/|^src/index\\.ts$" },
    },
    {
      name: "streams-look-down",
      severity: "error",
      comment: "src/streams take a scope, a path and a codec: never a resource (client, bucket, collection) nor the CLI.",
      from: { path: "^src/streams/" },
      to: { path: "^src/(resources|cli|angular)/|^src/index\\.ts$" },
    },
    {
      name: "resources-look-down",
      severity: "error",
      comment: "src/resources is the façade; the CLI and Angular sit above it.",
      from: { path: "^src/resources/" },
      to: { path: "^src/(cli|angular)/|^src/index\\.ts$" },
    },
    {
      name: "cli-uses-the-public-api",
      severity: "error",
      comment: "The CLI is written over the public API only: it imports src/index.ts, not the modules behind it.",
      from: { path: "^src/cli/" },
      to: { path: "^src/(http|protocol|resources|streams|angular)/" },
    },
    {
      name: "angular-uses-the-public-api",
      severity: "error",
      comment: "The Angular entry point imports the library through src/index.ts, not the modules behind it.",
      from: { path: "^src/angular/" },
      to: { path: "^src/(http|protocol|resources|streams|cli)/" },
    },
  ],
  options: {
    includeOnly: "^src/",
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      extensions: [".ts", ".d.ts", ".js", ".mjs", ".cjs", ".json"],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
