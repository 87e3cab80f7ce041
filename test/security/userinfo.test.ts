/**
 * Issue 15, finding 5: a remote URL with credentials (`user:password@`) is refused by the
 * constructor, which says to use the Authorization header, and no message anywhere repeats the
 * password, whatever it holds (`@`, `:`, `/`, spaces, `%`, unicode). Property-based (fast-check).
 */
import { inspect } from "node:util";
import fc from "fast-check";
import { lastValueFrom } from "rxjs";
import { InvalidArgumentError, KintoClient, NetworkError } from "../../src";
import { parseArgs, UsageError } from "../../src/cli/args";

const CANARY_START = "Qx7";
const CANARY_END = "7xQ";
/** A password: canaries around random text of URL-hostile characters. */
const password = fc
  .string({
    unit: fc.constantFrom("@", ":", "/", " ", "%", "#", "?", "é", "日", "🙂", "a", "Z", "0", "-", "."),
    minLength: 0,
    maxLength: 12,
  })
  .map((body) => `${CANARY_START}${body}${CANARY_END}`);
const user = fc.stringMatching(/^[a-z][a-z0-9]{0,7}$/);

/** Every rendering of `error` a log or a screen could show. */
function renderings(error: unknown): string {
  const e = error as Error;
  return [String(e), e.message, e.stack ?? "", JSON.stringify(e) ?? "", inspect(e, { depth: 10, showHidden: true })].join("\n");
}

/** The parts of `pw` found in `text`: the canaries, the password raw or percent-encoded. */
function leaked(text: string, pw: string): string[] {
  return [CANARY_START, CANARY_END, pw, encodeURIComponent(pw)].filter((form) => text.includes(form));
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw");
}

describe("credentials in the remote URL", () => {
  it("the constructor refuses them, says to use the Authorization header, and never echoes them", () => {
    fc.assert(
      fc.property(user, password, fc.boolean(), (name, pw, encode) => {
        const url = `http://${name}:${encode ? encodeURIComponent(pw) : pw}@127.0.0.1:8888/v1`;
        const error = thrown(() => new KintoClient(url));
        expect(error).toBeInstanceOf(InvalidArgumentError);
        expect((error as Error).message).toMatch(/Authorization header/);
        expect(leaked(renderings(error), pw)).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it("a URL that is also invalid (no version, unparsable) does not echo them either", () => {
    fc.assert(
      fc.property(user, password, (name, pw) => {
        for (const url of [`http://${name}:${pw}@127.0.0.1:8888/`, `${name}:${pw}@127.0.0.1/v1`, `http://${name}:${pw}@`]) {
          const error = thrown(() => new KintoClient(url));
          expect(error).toBeInstanceOf(InvalidArgumentError);
          expect(leaked(renderings(error), pw)).toEqual([]);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("the CLI's error for such a <server> does not echo them", () => {
    fc.assert(
      fc.property(user, password, (name, pw) => {
        const error = thrown(() => parseArgs(["export", `http://${name}:${pw}@127.0.0.1:8888/v1`, "b/c"], {}));
        expect(error).toBeInstanceOf(UsageError);
        expect(leaked(renderings(error), pw)).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });

  it("a transport error quoting a URL with credentials (a fetch wrapper's) is cut before the message", async () => {
    const samples = fc.sample(fc.tuple(user, password), { numRuns: 100, seed: 15 });
    for (const [name, pw] of samples) {
      const fetch = () => Promise.reject(new TypeError(`request to http://${name}:${pw}@proxy.example/v1/ failed, reason: refused`));
      const client = new KintoClient("http://127.0.0.1:1/v1", { fetch });
      const error = await lastValueFrom(client.bucket("b").getData()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NetworkError);
      expect(leaked(renderings(error), pw)).toEqual([]);
    }
  });
});
