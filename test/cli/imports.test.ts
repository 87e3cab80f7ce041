/**
 * The CLI's modules import one another without a cycle, and the library only through its public
 * entry point (src/index.ts), as any other program would.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const CLI = join(__dirname, "../../src/cli");
const files = readdirSync(CLI).filter((f) => f.endsWith(".ts"));
/** module → the modules it imports (`import`, `import type` and `export … from` alike). */
const graph = new Map(
  files.map((file) => {
    const text = readFileSync(join(CLI, file), "utf8");
    const targets = [...text.matchAll(/^(?:import|export)\s[^;]*?from\s+"([^"]+)"/gms)].map((m) => m[1]);
    return [file.replace(/\.ts$/, ""), targets] as const;
  }),
);

describe("src/cli imports", () => {
  it("form no cycle", () => {
    const cycles: string[] = [];
    const state = new Map<string, "open" | "done">();
    const visit = (node: string, path: string[]) => {
      if (state.get(node) === "done") return;
      if (state.get(node) === "open") return void cycles.push([...path.slice(path.indexOf(node)), node].join(" → "));
      state.set(node, "open");
      for (const target of graph.get(node) ?? []) if (target.startsWith("./")) visit(target.slice(2), [...path, node]);
      state.set(node, "done");
    };
    for (const node of graph.keys()) visit(node, []);
    expect(cycles).toEqual([]);
  });

  it("reach the library only through src/index", () => {
    const outside = [...graph].flatMap(([file, targets]) =>
      targets.filter((t) => t.startsWith("..") && t !== "../index").map((t) => `${file} imports ${t}`),
    );
    expect(outside).toEqual([]);
  });

  it("are all seen (the graph is not empty by mistake)", () => {
    expect(graph.get("main")).toEqual(expect.arrayContaining(["./import", "./args", "../index"]));
  });
});
