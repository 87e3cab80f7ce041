// Type-checks the README's ```ts and ```js code blocks, each as a module of its own: writes them to
// examples/readme/ (git-ignored; block-<line>.mts, ESM so that top-level await is allowed) with a
// tsconfig that maps "kinto-rx" to the sources, then runs tsc on them. Errors name the README line.
// The Angular blocks (first line `// src/...ts`) are left to the Angular build (scripts/angular-app.sh).
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "examples/readme");
const lines = readFileSync(join(root, "README.md"), "utf8").split("\n");

/** The blocks to check: the README line of their first line of code, and their code. */
const blocks = [];
for (let i = 0; i < lines.length; i++) {
  const fence = /^```(\w*)\s*$/.exec(lines[i]);
  if (!fence) continue;
  const end = lines.findIndex((line, j) => j > i && /^```\s*$/.test(line));
  if (end < 0) throw new Error(`README.md:${i + 1}: code block never closed`);
  const code = lines.slice(i + 1, end);
  if ((fence[1] === "ts" || fence[1] === "js") && !/^\/\/ src\/.*\.ts$/.test(code[0] ?? "")) blocks.push({ line: i + 2, code });
  i = end;
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
for (const { line, code } of blocks) {
  // `export {}` makes a block without imports a module too, so that blocks never share names.
  writeFileSync(join(out, `block-${line}.mts`), `// README.md line ${line}\n${code.join("\n")}\nexport {};\n`);
}
writeFileSync(
  join(out, "tsconfig.json"),
  JSON.stringify(
    {
      extends: "../../tsconfig.json",
      compilerOptions: {
        // A snippet names what it shows (`const everything = ...`) without using it afterwards.
        noUnusedLocals: false,
        rootDir: "../..",
        noEmit: true,
        declaration: false,
        types: ["node"],
        paths: { "kinto-rx": ["../../src/index.ts"] },
      },
      include: ["*.mts"],
    },
    null,
    2,
  ),
);

try {
  execFileSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", join(out, "tsconfig.json")], {
    stdio: "pipe",
    encoding: "utf8",
  });
} catch (error) {
  // tsc names examples/readme/block-<N>.mts(<row>,<col>): give the README line instead.
  const text = `${error.stdout ?? ""}${error.stderr ?? ""}`.replace(
    /examples\/readme\/block-(\d+)\.mts\((\d+),(\d+)\)/g,
    (_, start, row, col) => `README.md:${Number(start) + Number(row) - 2}:${col}`,
  );
  process.stderr.write(text);
  process.exit(1);
}
console.log(`README: ${blocks.length} code blocks type-check`);
