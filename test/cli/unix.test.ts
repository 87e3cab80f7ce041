/**
 * kinto-rx as a Unix tool, run as the built binary against the real server: pipes that close
 * early, exit codes as the help lists them, errors that name the server, signals, bounded waits.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createServer, type Server, type Socket } from "node:net";
import { freePort } from "../server/kinto-server";
import { kintoUrl, raw, uniqueName } from "../helpers";
import { BIN, cli, collections, DIR, eventually, jsonl, serverRecords, start, USER_PASS } from "./run-cli";

const BUCKET = uniqueName("cli-unix");

beforeAll(async () => {
  await collections(BUCKET, "full", "empty", "signals");
  // Concurrent writes into one collection may collide on PostgreSQL (409, "please retry"): retry.
  const put = async (i: number): Promise<void> => {
    for (let attempt = 0; attempt < 20; attempt++) {
      const { status } = await raw("PUT", `/buckets/${BUCKET}/collections/full/records/r-${String(i).padStart(3, "0")}`, { data: { i } });
      if (status === 201 || status === 200) return;
      if (status !== 409) throw new Error(`seeding r-${i}: HTTP ${status}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`seeding r-${i}: still 409`);
  };
  for (let i = 0; i < 60; i += 6) await Promise.all([0, 1, 2, 3, 4, 5].map((j) => put(i + j)));
});

describe("pipes", () => {
  it("export | head -1 exits quietly with 0", async () => {
    const run = await cli([`set -o pipefail; node ${BIN} export ${kintoUrl()} ${BUCKET}/full | head -1; echo "rc=$?" >&2`], {
      shell: true,
    });
    expect(run.out.trim().split("\n")).toHaveLength(1);
    expect(JSON.parse(run.out)).toMatchObject({ id: expect.stringMatching(/^r-/) });
    expect(run.err).toBe("rc=0\n");
  });

  it("watch | head -2 exits quietly with 0 at its next line", async () => {
    const run = start(
      [`set -o pipefail; node ${BIN} watch ${kintoUrl()} ${BUCKET}/full --since 0 --interval 50 | head -2; echo "rc=$?" >&2`],
      { shell: true },
    );
    await eventually(() => run.out().split("\n").length >= 3);
    // head has its two lines and is gone; the next change makes watch write into the closed pipe.
    for (let i = 0; i < 20 && run.child.exitCode === null; i++) {
      await raw("PUT", `/buckets/${BUCKET}/collections/full/records/late-${i}`, { data: { late: i } });
      await new Promise((r) => setTimeout(r, 200));
    }
    const done = await run.done;
    expect(done.out.trim().split("\n")).toHaveLength(2);
    expect(done.err).toBe("rc=0\n");
    await raw("DELETE", `/buckets/${BUCKET}/collections/full/records?id=late-0`);
  });
});

describe("exit codes and messages", () => {
  const file = jsonl("three.jsonl", [{ a: 1 }, { a: 2 }, { a: 3 }]);

  it("no arguments: usage on stderr, exit 2", async () => {
    const run = await cli([]);
    expect(run.code).toBe(2);
    expect(run.out).toBe("");
    expect(run.err).toContain("Missing a command");
    expect(run.err).toContain("kinto-rx import <server>");
  });

  it("--since that is not a timestamp is refused before any request: exit 2", async () => {
    const run = await cli(["export", kintoUrl(), `${BUCKET}/full`, "--since", "yesterday"]);
    expect(run.code).toBe(2);
    expect(run.err).toContain("--since expects a Kinto timestamp");
  });

  it("a directory as input: exit 5", async () => {
    const run = await cli(["import", kintoUrl(), `${BUCKET}/empty`, DIR]);
    expect(run.code).toBe(5);
    expect(run.err).toContain(`Cannot read ${DIR}: it is a directory`);
  });

  it("import with credentials that may not write: exit 4, one message, nothing sent", async () => {
    const run = await cli(["import", kintoUrl(), `${BUCKET}/empty`, file], { env: { KINTO_AUTH: "someone-else:wrong" } });
    expect(run.code).toBe(4);
    expect(run.err.trim().split("\n")).toHaveLength(1);
    expect(run.err).toMatch(/^kinto-rx: Forbidden \(HTTP 403 on GET http:\/\/127\.0\.0\.1:\d+\/v1\/buckets\//);
    expect(await serverRecords(BUCKET, "empty")).toEqual([]);
  });

  it("import into a missing collection: exit 1 naming it and the server, nothing sent", async () => {
    const run = await cli(["import", kintoUrl(), `${BUCKET}/missing`, file]);
    expect(run.code).toBe(1);
    expect(run.err.trim().split("\n")).toHaveLength(1);
    expect(run.err).toContain(`Collection ${BUCKET}/missing not found at ${kintoUrl()}`);
    expect((await raw("GET", `/buckets/${BUCKET}/collections/missing`)).status).toBe(404);
  });

  it("a wrong URL reads unlike a missing bucket", async () => {
    const wrong = await cli(["export", `${kintoUrl()}/nope`, `${BUCKET}/full`]);
    expect(wrong.code).toBe(1);
    expect(wrong.err).toContain(`No Kinto API at ${kintoUrl()}/nope/v1`);
    const anonymous = await cli(["export", kintoUrl(), `${BUCKET}/full`], { env: {} });
    expect(anonymous.code).toBe(4);
    expect(anonymous.err).toContain(`on GET ${kintoUrl()}/buckets/${BUCKET}/collections/full/records`);
    expect(anonymous.err).toContain("no credentials were given");
  });

  it("--auth and --bearer together: a warning", async () => {
    const run = await cli(["info", kintoUrl(), "--bearer", "tok", "--auth", USER_PASS]);
    expect(run.err).toContain("kinto-rx: warning: both --auth");
    expect(run.err).not.toContain(USER_PASS.split(":")[1]);
  });
});

describe("signals", () => {
  it.each([
    ["SIGTERM", 143],
    ["SIGINT", 130],
  ] as const)(
    "%s during an import: exit %d with the counts and how to resume; the re-run completes it",
    async (signal, code) => {
      const collection = `sig-${code}`;
      await collections(BUCKET, collection);
      const file = jsonl(
        `${collection}.jsonl`,
        Array.from({ length: 400 }, (_, n) => ({ n })),
      );
      const args = ["import", kintoUrl(), `${BUCKET}/${collection}`, file, "--chunk-size", "1", "--concurrency", "1"];
      const run = start(args);
      await eventually(() => / [1-9]\d*\/400 confirmed/.test(run.err()));
      run.child.kill(signal);
      const done = await run.done;
      expect(done.code).toBe(code);
      const match = new RegExp(
        `\\nInterrupted \\(${signal}\\) after (\\d+) of 400 record\\(s\\) confirmed in ${BUCKET}/${collection} at .*; run the same command again to resume\\.\\n$`,
      ).exec(done.err);
      expect(match).not.toBeNull();
      const confirmed = Number(match![1]);
      const held = (await serverRecords(BUCKET, collection)).length;
      expect(held).toBeGreaterThanOrEqual(confirmed);
      expect(held).toBeLessThan(400);

      const again = await cli(args);
      expect(again.code).toBe(0);
      expect(again.err).toContain(`: ${400 - held} new, ${held} already there, 0 changed.`);
      expect(await serverRecords(BUCKET, collection)).toHaveLength(400);
    },
    60_000,
  );
});

describe("bounded waits", () => {
  let hanging: Server;
  const sockets: Socket[] = [];
  let hangingUrl: string;
  beforeAll(async () => {
    const port = await freePort();
    hanging = createServer((socket) => sockets.push(socket)); // accepts, never answers
    await new Promise<void>((ok) => hanging.listen(port, "127.0.0.1", ok));
    hangingUrl = `http://127.0.0.1:${port}/v1`;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((ok) => hanging.close(ok));
  });

  it("info --timeout 1000 against a server that never answers: exit 3 within the timeout", async () => {
    const started = Date.now();
    const run = await cli(["info", hangingUrl, "--timeout", "1000"]);
    expect(run.code).toBe(3);
    expect(run.err).toContain(`no answer from ${hangingUrl} within 1000 ms`);
    expect(Date.now() - started).toBeLessThan(8000); // the bound itself, not a speed claim: today's code takes 11 s and more
  });

  it("watch with the server down: exit 3, naming it", async () => {
    const down = `http://127.0.0.1:${await freePort()}/v1`;
    const run = await cli(["watch", down, `${BUCKET}/full`, "--retry", "1"]);
    expect(run.code).toBe(3);
    expect(run.err).toContain(`Server unreachable`);
    expect(run.err).toContain(down);
  });

  it("watch gives up after --retry failed polls in a row when the server stops answering", async () => {
    const run = await cli(["watch", hangingUrl, `${BUCKET}/full`, "--timeout", "300", "--retry", "1"]);
    expect(run.code).toBe(3);
  });
});

describe("export order", () => {
  it("--sort id gives a stable order to diff; the default is oldest first", async () => {
    const byId = await cli(["export", kintoUrl(), `${BUCKET}/full`, "--sort", "id"]);
    const ids = byId.out
      .trim()
      .split("\n")
      .map((l) => (JSON.parse(l) as { id: string }).id);
    expect(ids.length).toBeGreaterThanOrEqual(60);
    expect(ids).toEqual([...ids].sort());
    const byTime = (await cli(["export", kintoUrl(), `${BUCKET}/full`])).out
      .trim()
      .split("\n")
      .map((l) => (JSON.parse(l) as { last_modified: number }).last_modified);
    expect(byTime).toEqual([...byTime].sort((a, b) => a - b));
  });
});

describe("help and version", () => {
  it("--version, help <command> with its defaults, and help of an unknown command", async () => {
    const version = await cli(["--version"]);
    expect(version.out).toBe(
      `kinto-rx ${(JSON.parse(readFileSync(join(__dirname, "../../package.json"), "utf8")) as { version: string }).version}\n`,
    );
    const help = await cli(["help", "import"]);
    expect(help.code).toBe(0);
    expect(help.out).toContain("--concurrency N             /batch requests in flight (default 2)");
    expect(help.out).toContain("--chunk-size N              records per /batch request (default: the server's batch_max_requests)");
    expect(help.out).toContain("--timeout MS        longest wait for one answer from the server (default 10000)");
    expect(help.out).not.toContain("kinto-rx watch <server>");
    expect((await cli(["help", "nope"])).code).toBe(2);
  });
});
