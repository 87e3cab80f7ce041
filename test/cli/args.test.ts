import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { authorization, parseArgs, UsageError } from "../../src/cli/args";
import { InputError, records, validate } from "../../src/cli/jsonl";
import { renderProgress } from "../../src/cli/progress";

describe("CLI arguments", () => {
  it("parses each command with defaults", () => {
    expect(parseArgs(["info", "http://127.0.0.1:8888/v1"], {})).toMatchObject({ name: "info", server: "http://127.0.0.1:8888/v1", auth: undefined });
    expect(parseArgs(["export", "http://h:1", "b/c", "--since", "12"], {})).toMatchObject({ name: "export", server: "http://h:1/v1", bucket: "b", collection: "c", since: "12" });
    expect(parseArgs(["import", "http://h:1/v1/", "b/c", "f.jsonl", "--concurrency=4"], { KINTO_AUTH: "u:p" })).toMatchObject({
      name: "import",
      file: "f.jsonl",
      concurrency: 4,
      auth: { kind: "basic", credentials: "u:p" },
    });
    expect(parseArgs(["watch", "http://h:1/v1", "b/c", "--bearer", "tok"], {})).toMatchObject({ interval: 1000, auth: { kind: "bearer", token: "tok" } });
    expect(parseArgs([], {})).toEqual({ name: "help" });
  });

  it.each([
    [["nope", "http://h/v1"], /Unknown command "nope"/],
    [["info"], /"info" expects <server>, got 0/],
    [["info", "ftp://h/v1"], /http:\/\/ or https:\/\//],
    [["info", "http://u:secret@h/v1"], /not in the URL/],
    [["export", "http://h/v1", "onlybucket"], /Expected <bucket>\/<collection>/],
    [["import", "http://h/v1", "b/c"], /expects <server> <bucket>\/<collection> <file.jsonl>, got 2/],
    [["import", "http://h/v1", "b/c", "f", "--concurrency", "0"], /positive whole number/],
    [["info", "http://h/v1", "--auth", "nocolon"], /user:password/],
    [["info", "http://h/v1", "--frobnicate"], /Unknown option --frobnicate/],
  ])("refuses %j with a clear message", (argv, message) => {
    expect(() => parseArgs(argv as string[], {})).toThrow(UsageError);
    expect(() => parseArgs(argv as string[], {})).toThrow(message);
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
  const dir = mkdtempSync(join(tmpdir(), "kinto-rx-cli-"));
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it("names the first malformed line", async () => {
    const path = file("bad.jsonl", '{"a":1}\n\n{"b":2}\n{"c":\n');
    await expect(validate(path)).rejects.toThrow(InputError);
    await expect(validate(path)).rejects.toThrow(`${path}:4: invalid JSON`);
    await expect(validate(file("arr.jsonl", "[1]\n"))).rejects.toThrow(":1: expected a JSON object");
    await expect(validate(file("id.jsonl", '{"id":"a/b"}\n'))).rejects.toThrow(':1: invalid id "a/b"');
  });

  it("gives records without an id a stable id, so that a re-run targets the same records", async () => {
    const path = file("ok.jsonl", '{"a":1}\n{"id":"given","last_modified":5}\n{"a":1}\n');
    expect(await validate(path)).toBe(3);
    const first: Record<string, unknown>[] = [];
    for await (const r of records(path)) first.push(r);
    const again: Record<string, unknown>[] = [];
    for await (const r of records(path)) again.push(r);
    expect(first.map((r) => r.id)).toEqual(again.map((r) => r.id));
    expect(first[1]).toEqual({ id: "given" });
    expect(first[0].id).not.toBe(first[2].id);
    expect(first[0].id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });
});

describe("progress bar", () => {
  it("shows rate, counters and ETA", () => {
    const line = renderProgress({ sent: 600, confirmed: 500, failed: 0 }, 1000, 5000, 10);
    expect(line).toBe("[#####-----]  50% 100 rec/s sent 600 confirmed 500 failed 0 ETA 00:05");
    expect(renderProgress({ sent: 0, confirmed: 0, failed: 0 }, 10, 0, 4)).toContain("ETA --:--");
  });
});
