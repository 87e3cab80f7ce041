/**
 * The progress display of `kinto-rx import`, against the real server: in a pseudo-terminal
 * (`script`) it fits the width and redraws in place; off a terminal it is a few plain lines;
 * --quiet and --json; an interruption ends the bar's line before its message.
 */
import { PassThrough } from "node:stream";
import { main } from "../../src/cli/main";
import { renderProgress } from "../../src/cli/progress";
import { kintoUrl, uniqueName } from "../helpers";
import { BIN, cli, collections, eventually, jsonl, serverRecords, USER_PASS } from "./run-cli";

const BUCKET = uniqueName("cli-progress");
const N = 300;
const lines = (tag: string) => Array.from({ length: N }, (_, n) => ({ n, tag }));
// The escape character is the point: ANSI sequences start with it.
// eslint-disable-next-line no-control-regex
const strip = (text: string) => text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "");

beforeAll(() => collections(BUCKET, "tty80", "tty40", "piped", "quiet", "json", "stopped"));

describe("on a terminal", () => {
  it.each([80, 40])(
    "fits %d columns and redraws in place",
    async (columns) => {
      const file = jsonl(`tty${columns}.jsonl`, lines(`tty${columns}`));
      const command = `stty cols ${columns} rows 24; node ${BIN} import ${kintoUrl()} ${BUCKET}/tty${columns} ${file} --chunk-size 5`;
      const run = await cli([`script -qfec "${command}" /dev/null`], { shell: true, env: { KINTO_AUTH: USER_PASS } });
      expect(run.code).toBe(0);
      const text = strip(run.out);
      // A pty turns "\n" into "\r\n": the bar's line, then the summary; no scrolling.
      const rows = text.split("\r\n").filter(Boolean);
      const redraws = rows[0].split("\r").filter(Boolean);
      expect(redraws.length).toBeGreaterThan(1);
      for (const redraw of redraws) expect(redraw.length).toBeLessThan(columns);
      expect(rows).toHaveLength(2);
      expect(rows[1]).toContain(`: ${N} new, 0 already there, 0 changed.`);
      expect(redraws[redraws.length - 1]).toContain(`${N}/${N} confirmed`);
      expect(await serverRecords(BUCKET, `tty${columns}`)).toHaveLength(N);
    },
    60_000,
  );

  it("renders within any width", () => {
    for (let columns = 1; columns <= 200; columns++) {
      const line = renderProgress({ sent: 123456, confirmed: 100000, failed: 12 }, 1_000_000, 61_000, columns);
      expect(line.length).toBeLessThanOrEqual(Math.max(1, columns - 1));
    }
    expect(renderProgress({ sent: 600, confirmed: 500, failed: 0 }, 1000, 5000, 80)).toBe(
      "[########-------]  50% 500/1000 confirmed 0 failed ETA 00:05 100 rec/s 600 sent",
    );
  });

  it("an interruption ends the bar's line, and the message gives the bar's last count", async () => {
    const file = jsonl("stopped.jsonl", lines("stopped"));
    const stderr = Object.assign(new PassThrough(), { isTTY: true, columns: 80 });
    let err = "";
    stderr.on("data", (c: Buffer) => (err += c.toString()));
    const controller = new AbortController();
    const done = main(["import", kintoUrl(), `${BUCKET}/stopped`, file, "--chunk-size", "1", "--concurrency", "1"], {
      stdout: new PassThrough(),
      stderr: stderr as unknown as NodeJS.WriteStream,
      env: { KINTO_AUTH: USER_PASS },
      signal: controller.signal,
    });
    await eventually(() => / [1-9]\d*\/300 confirmed/.test(err));
    controller.abort();
    expect(await done).toBe(130);
    const [bar, message, end] = err.split("\n");
    expect(end).toBe("");
    const count = /after (\d+) of 300 record\(s\) confirmed/.exec(message)![1];
    expect(message).toMatch(
      /^Interrupted \(SIGINT\) after \d+ of 300 record\(s\) confirmed in .*; run the same command again to resume\.$/,
    );
    const redraws = bar.split("\r").filter(Boolean);
    expect(strip(redraws[redraws.length - 1])).toContain(` ${count}/300 confirmed`);
  });
});

describe("off a terminal", () => {
  it("a line at the start, one per 10 %, and the summary", async () => {
    const file = jsonl("piped.jsonl", lines("piped"));
    const run = await cli(["import", kintoUrl(), `${BUCKET}/piped`, file, "--chunk-size", "5"]);
    expect(run.code).toBe(0);
    const rows = run.err.trim().split("\n");
    expect(rows.length).toBeGreaterThanOrEqual(3);
    expect(rows.length).toBeLessThanOrEqual(13);
    expect(rows[0]).toMatch(/^0%, 0\/300 confirmed/);
    expect(rows[rows.length - 2]).toMatch(/^100%, 300\/300 confirmed, 0 failed/);
    expect(rows[rows.length - 1]).toContain(": 300 new, 0 already there, 0 changed.");
    expect(run.err).not.toContain("\r");
  });

  it("--quiet prints nothing on success; --json prints events on stdout", async () => {
    const quiet = await cli(["import", kintoUrl(), `${BUCKET}/quiet`, jsonl("quiet.jsonl", lines("quiet")), "--quiet"]);
    expect(quiet).toMatchObject({ code: 0, out: "", err: "" });
    expect(await serverRecords(BUCKET, "quiet")).toHaveLength(N);

    const json = await cli(["import", kintoUrl(), `${BUCKET}/json`, jsonl("json.jsonl", lines("json")), "--json"]);
    expect(json.code).toBe(0);
    expect(json.err).toBe("");
    const events = json.out
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { event: string; [k: string]: unknown });
    expect(events[0]).toEqual({ event: "plan", new: N, already: 0, changed: 0, send: N });
    expect(events.filter((e) => e.event === "progress").length).toBeGreaterThan(0);
    expect(events[events.length - 1]).toMatchObject({ event: "done", new: N, already: 0, changed: 0, refused: 0, confirmed: N, failed: 0 });
  });
});
