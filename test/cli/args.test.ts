import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { authorization, DEFAULTS, parseArgs, UsageError } from "../../src/cli/args";
import { usage } from "../../src/cli/help";
import { check, InputErrors, inputRecords } from "../../src/cli/jsonl";
import { DIR } from "./run-cli";

describe("CLI arguments", () => {
  it("parses each command with defaults", () => {
    expect(parseArgs(["info", "http://127.0.0.1:8888/v1"], {})).toMatchObject({
      name: "info",
      server: "http://127.0.0.1:8888/v1",
      auth: undefined,
      timeout: DEFAULTS.timeout,
      retry: DEFAULTS.retry,
    });
    expect(parseArgs(["export", "http://h:1", "b/c", "--since", "12"], {})).toMatchObject({
      name: "export",
      server: "http://h:1/v1",
      bucket: "b",
      collection: "c",
      since: "12",
      sort: "last_modified",
    });
    expect(parseArgs(["export", "http://h:1", "b/c", "--since", '"12"', "--sort", "id"], {})).toMatchObject({ since: "12", sort: "id" });
    expect(parseArgs(["import", "http://h:1/v1/", "b/c", "f.jsonl", "--concurrency=4"], { KINTO_AUTH: "u:p" })).toMatchObject({
      name: "import",
      file: "f.jsonl",
      concurrency: 4,
      ids: "content",
      onConflict: "fail",
      progress: "auto",
      auth: { kind: "basic", credentials: "u:p" },
    });
    expect(parseArgs(["import", "http://h", "b/c", "f", "--json", "--on-conflict", "skip", "--ids", "required"], {})).toMatchObject({
      progress: "json",
      onConflict: "skip",
      ids: "required",
    });
    expect(parseArgs(["import", "http://h", "b/c", "f", "-q"], {})).toMatchObject({ progress: "quiet" });
    expect(parseArgs(["watch", "http://h:1/v1", "b/c", "--bearer", "tok"], {})).toMatchObject({
      interval: 1000,
      auth: { kind: "bearer", token: "tok" },
      warnings: [],
    });
    expect(parseArgs(["watch", "http://h", "b/c", "--bearer", "tok"], { KINTO_AUTH: "u:p" })).toMatchObject({
      warnings: [expect.stringContaining("both --auth")],
    });
    expect(parseArgs(["--help"], {})).toEqual({ name: "help", topic: undefined });
    expect(parseArgs(["help", "watch"], {})).toEqual({ name: "help", topic: "watch" });
    expect(parseArgs(["import", "--help"], {})).toEqual({ name: "help", topic: "import" });
    expect(parseArgs(["-V"], {})).toEqual({ name: "version" });
    expect(parseArgs(["dump", "http://h", "blog"], {})).toMatchObject({ name: "dump", bucket: "blog" });
    expect(parseArgs(["load", "http://h", "blog.jsonl", "--dry-run"], {})).toMatchObject({
      name: "load",
      file: "blog.jsonl",
      dryRun: true,
      concurrency: 2,
      parallel: 3,
      maxErrors: 20,
    });
  });

  it.each([
    [[], /Missing a command/],
    [["nope", "http://h/v1"], /Unknown command "nope"/],
    [["help", "nope"], /"help" expects one of/],
    [["info"], /"info" expects <server>, got 0/],
    [["info", "ftp://h/v1"], /http:\/\/ or https:\/\//],
    [["info", "http://u:secret@h/v1"], /not in the URL/],
    [["export", "http://h/v1", "onlybucket"], /Expected <bucket>\/<collection>/],
    [["export", "http://h/v1", "b/c", "--since", "yesterday"], /--since expects a Kinto timestamp/],
    [["import", "http://h/v1", "b/c"], /expects <server> <bucket>\/<collection> <file.jsonl>, got 2/],
    [["import", "http://h/v1", "b/c", "f", "--concurrency", "0"], /--concurrency expects a whole number of at least 1/],
    [["import", "http://h/v1", "b/c", "f", "--on-conflict", "merge"], /--on-conflict expects one of fail, skip, overwrite/],
    [["info", "http://h/v1", "--auth", "nocolon"], /user:password/],
    [["dump", "http://h/v1", "a/b"], /Expected a bucket id/],
    [["export", "http://h/v1", "b/c", "--dry-run"], /--dry-run is not an option of "export"/],
    [["export", "http://h/v1", "b/c", "--interval", "5"], /--interval is not an option of "export"/],
    [["load", "http://h/v1"], /"load" expects <server> <bucket.jsonl>, got 1/],
    [["info", "http://h/v1", "--frobnicate"], /Unknown option --frobnicate/],
  ])("refuses %j with a clear message", (argv, message) => {
    expect(() => parseArgs(argv as string[], {})).toThrow(UsageError);
    expect(() => parseArgs(argv as string[], {})).toThrow(message);
  });

  it("a usage error names its command, whose help is shown", () => {
    try {
      parseArgs(["import", "http://h/v1", "b/c", "f", "--concurrency", "x"], {});
    } catch (error) {
      expect((error as UsageError).command).toBe("import");
    }
    expect(usage("import")).toContain("--on-conflict fail|skip|overwrite");
    expect(usage("import")).not.toContain("kinto-rx watch");
    expect.assertions(3);
  });

  it("never echoes a password given in the URL", () => {
    try {
      parseArgs(["info", "http://u:secret@h/v1"], {});
    } catch (error) {
      expect(String(error)).not.toContain("secret");
    }
    expect.assertions(1);
  });

  it("builds the Authorization header", () => {
    expect(authorization({ kind: "basic", credentials: "u:p" })).toEqual({ Authorization: "Basic dTpw" });
    expect(authorization({ kind: "bearer", token: "t" })).toEqual({ Authorization: "Bearer t" });
  });
});

describe("JSON Lines input", () => {
  const dir = DIR;
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const all = async (path: string) => {
    const out = [];
    for await (const r of inputRecords(path, "content")) out.push(r);
    return out;
  };

  it("names every malformed line", async () => {
    const path = file("bad.jsonl", '{"a":1}\n\n{"b":2}\n{"c":\n[1]\n{"id":"a/b"}\n');
    await expect(check(path, "content", 20)).rejects.toThrow(InputErrors);
    await expect(check(path, "content", 20)).rejects.toThrow(`${path}:4: invalid JSON`);
    await expect(check(path, "content", 20)).rejects.toThrow(`${path}:5: expected a JSON object`);
    await expect(check(path, "content", 20)).rejects.toThrow(`${path}:6: invalid id "a/b"`);
  });

  it("gives a record without an id an id from its content, whatever its line", async () => {
    const a = await all(file("a.jsonl", '{"x":1,"y":[1,{"b":2,"a":1}]}\n{"id":"given","last_modified":5,"z":1}\n'));
    const b = await all(file("b.jsonl", '\n{"other":true}\n{"y":[1,{"a":1,"b":2}],"x":1}\n'));
    expect(a[0].id).toBe(b[1].id); // same content, keys in another order, another line
    expect(a[0].id).not.toBe(b[0].id);
    expect(a[0].id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(a[1].record).toEqual({ id: "given", z: 1 });
    expect(b.map((r) => r.line)).toEqual([2, 3]);
  });
});

describe("the README's CLI section", () => {
  const readme = readFileSync(join(__dirname, "../../README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Command-line tool"), readme.indexOf("## Migrating from kinto-http.js"));
  const options = (text: string) => new Set(text.match(/(?<![\w-])--[a-z][a-z-]+/g));
  const codes = (text: string) =>
    new Set([...text.matchAll(/^\s*\|?\s*(\d+)(?: \/ (\d+))?\s+\|?/gm)].flatMap((m) => m.slice(1).filter(Boolean).map(Number)));

  it("lists every option of the help, and no other", () => {
    expect([...options(section)].sort()).toEqual([...options(usage())].sort());
  });

  it("lists every exit code of the help, and every command", () => {
    const helpCodes = new Set([...usage().matchAll(/^ {2}(\d+)(?:, (\d+))? {2}/gm)].flatMap((m) => m.slice(1).filter(Boolean).map(Number)));
    expect(helpCodes.size).toBe(9);
    expect([...codes(section)].filter((c) => c < 256).sort((a, b) => a - b)).toEqual([...helpCodes].sort((a, b) => a - b));
    for (const command of ["info", "export", "import", "watch", "dump", "load", "help"]) expect(section).toContain(`| \`${command} `);
  });

  it("lists every environment variable of the help", () => {
    const variables = (text: string) => new Set(text.match(/\b(?:KINTO|HTTPS?|ALL|NO)_[A-Z]+\b/g));
    const inHelp = variables(usage());
    expect([...inHelp].sort()).toEqual(["ALL_PROXY", "HTTPS_PROXY", "HTTP_PROXY", "KINTO_AUTH", "KINTO_BEARER", "NO_PROXY"]);
    for (const name of inHelp) expect(section).toContain(`\`${name}\``);
  });

  it("states the defaults that the parser uses", () => {
    for (const [flag, value] of [
      ["--timeout", DEFAULTS.timeout],
      ["--retry", DEFAULTS.retry],
      ["--interval", DEFAULTS.interval],
      ["--concurrency", DEFAULTS.concurrency],
      ["--max-errors", DEFAULTS.maxErrors],
      ["--parallel", DEFAULTS.parallel],
    ] as const) {
      expect(section).toMatch(new RegExp(`\\| \`${flag} [^|]*\` \\| [^|]* \\| ${value} \\|`));
      expect(usage()).toMatch(new RegExp(`${flag} .*\\(default ${value}`));
    }
  });
});
