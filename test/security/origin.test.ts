/**
 * Credentials stay on the client's own origin: a `Next-Page` header naming another origin is
 * followed on the client's remote (only its path and query are used), and a redirect to another
 * origin is refused before anything is sent there, whatever the fetch (the global one, or
 * cross-fetch, whose node-fetch keeps `Authorization` when only the port differs). Same-origin
 * redirects (the real Kinto's trailing-slash 307) are still followed.
 */
import crossFetch from "cross-fetch";
import { firstValueFrom, lastValueFrom, toArray } from "rxjs";
import { InvalidArgumentError, KintoClient, KintoHttpError, type FetchLike } from "../../src";
import { AUTH, kintoUrl, raw, testClient, uniqueName } from "../helpers";
import { localServer, sendJson, type LocalServer } from "./local-server";

const SECRET = "Bearer origin-canary-5d0c2e";
const RECORDS = "/v1/buckets/b/collections/c/records";

let other: LocalServer; // the foreign origin: must receive nothing
let kinto: LocalServer; // a fake Kinto whose answers are set per test
let answer: (url: string, method: string) => { status: number; body?: unknown; headers?: Record<string, string> };

beforeAll(async () => {
  other = await localServer((_req, res) => sendJson(res, 200, { data: [{ id: "evil", last_modified: 1 }] }));
  kinto = await localServer((req, res) => {
    const { status, body, headers } = answer(req.url ?? "", req.method ?? "");
    sendJson(res, status, body ?? "", headers);
  });
});

afterAll(() => Promise.all([other.close(), kinto.close()]));

beforeEach(() => {
  other.received.length = 0;
  kinto.received.length = 0;
});

const fetches: [string, FetchLike | undefined][] = [
  ["the global fetch", undefined],
  ["cross-fetch", crossFetch as unknown as FetchLike],
];

describe("Next-Page naming another origin", () => {
  it.each(fetches)("is requested on the client's own remote, never on the other origin (%s)", async (_name, fetch) => {
    answer = (url) =>
      url.includes("_token=")
        ? { status: 200, body: { data: [{ id: "b", last_modified: 1 }] } }
        : {
            status: 200,
            body: { data: [{ id: "a", last_modified: 2 }] },
            headers: { "Next-Page": `${other.url}/buckets/b/collections/c/records?_token=t%3D1&_limit=1` },
          };
    const client = new KintoClient(kinto.url, { headers: { Authorization: SECRET }, fetch });
    const pages = await lastValueFrom(client.bucket("b").collection("c").listRecords({ pages: Infinity }).pipe(toArray()));
    expect(pages.map((p) => p.data.map((r) => r.id))).toEqual([["a"], ["b"]]);
    expect(other.received).toEqual([]);
    expect(kinto.received.map((r) => r.url)).toEqual([`${RECORDS}?_sort=-last_modified`, `${RECORDS}?_token=t%3D1&_limit=1`]);
    // The own origin gets the credentials on every page.
    expect(kinto.received.map((r) => r.headers.authorization)).toEqual([SECRET, SECRET]);
  });

  it("outside the server root is refused: nothing more is sent anywhere", async () => {
    answer = () => ({ status: 200, body: { data: [] }, headers: { "Next-Page": `${other.origin}/elsewhere/records?_token=x` } });
    const client = new KintoClient(kinto.url, { headers: { Authorization: SECRET } });
    const first = await firstValueFrom(client.bucket("b").collection("c").listRecords());
    expect(first.hasNextPage).toBe(true);
    await expect(firstValueFrom(first.next())).rejects.toThrow(InvalidArgumentError);
    expect(kinto.received).toHaveLength(1);
    expect(other.received).toEqual([]);
  });
});

describe("redirects", () => {
  const statuses = [301, 302, 303, 307, 308];
  const cases = fetches.flatMap(([name, fetch]) => statuses.map((status) => [name, status, fetch] as const));

  it.each(cases)("to another origin are refused, nothing reaches it (%s, %i)", async (_name, status, fetch) => {
    answer = () => ({ status, headers: { Location: `${other.url}/buckets/b/collections/c/records/r` } });
    const client = new KintoClient(kinto.url, { headers: { Authorization: SECRET }, fetch, retry: 2, retryPolicy: { baseDelay: 1 } });
    const coll = client.bucket("b").collection("c");
    for (const call of [coll.getRecord("r"), coll.createRecord({ id: "r", x: 1 }), coll.createRecord({ x: 1 })]) {
      const error = await firstValueFrom(call).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(KintoHttpError);
      expect(error).toMatchObject({ status });
      expect((error as Error).message).toContain(`redirect to another origin (${other.origin}) refused`);
      expect((error as Error).message).not.toContain(SECRET);
    }
    expect(kinto.received.map((r) => r.method)).toEqual(["GET", "PUT", "POST"]); // refused: not retried
    expect(other.received).toEqual([]);
  });

  it("to the same host on another port, or to localhost, are other origins too", async () => {
    const port = new URL(kinto.origin).port;
    for (const location of [`http://localhost:${port}${RECORDS}/r`, `${other.origin}${RECORDS}/r`, `//localhost:${port}${RECORDS}/r`]) {
      answer = () => ({ status: 307, headers: { Location: location } });
      const client = new KintoClient(kinto.url, { headers: { Authorization: SECRET }, fetch: crossFetch as unknown as FetchLike });
      await expect(firstValueFrom(client.bucket("b").collection("c").getRecord("r"))).rejects.toThrow(/another origin/);
    }
    expect(kinto.received).toHaveLength(3);
    expect(other.received).toEqual([]);
  });

  it("within the origin are followed, at most 5 times", async () => {
    answer = (url) =>
      url.endsWith("/records/old")
        ? { status: 308, headers: { Location: `${RECORDS}/new` } }
        : url.endsWith("/records/new")
          ? { status: 200, body: { data: { id: "new", last_modified: 3 } } }
          : { status: 307, headers: { Location: url } }; // a loop
    const client = new KintoClient(kinto.url, { headers: { Authorization: SECRET } });
    const coll = client.bucket("b").collection("c");
    expect((await firstValueFrom(coll.getRecord("old"))).data.id).toBe("new");
    expect(kinto.received.map((r) => [r.url, r.headers.authorization])).toEqual([
      [`${RECORDS}/old`, SECRET],
      [`${RECORDS}/new`, SECRET],
    ]);
    kinto.received.length = 0;
    await expect(firstValueFrom(coll.getRecord("loop"))).rejects.toThrow(/more than 5 redirects/);
    expect(kinto.received).toHaveLength(6);
  });

  it("303 after a write becomes a GET without body, as fetch does", async () => {
    answer = (_url, method) =>
      method === "PUT"
        ? { status: 303, headers: { Location: `${RECORDS}/r` } }
        : { status: 200, body: { data: { id: "r", last_modified: 4 } } };
    const client = new KintoClient(kinto.url, { headers: { Authorization: SECRET } });
    await firstValueFrom(client.bucket("b").collection("c").createRecord({ id: "r", x: 1 }));
    expect(kinto.received.map((r) => [r.method, r.body, r.headers["content-type"]])).toEqual([
      ["PUT", '{"data":{"id":"r","x":1}}', "application/json"],
      ["GET", "", undefined],
    ]);
  });
});

describe("the real server's same-origin redirects (trailing slash, 307) still work", () => {
  const BUCKET = uniqueName("origin");
  /** A fetch adding a trailing slash to record paths (Kinto answers 307 to the path without it), logging what it sends. */
  function slashing(seen: string[]): FetchLike {
    return (url, init) => {
      const slashed = url.replace(
        /(\/records(?:\/[^/?]+)?)(\?|$)/,
        (_m, path: string, q: string) => (path.endsWith("/") ? path : path + "/") + q,
      );
      const sent = seen.length % 2 === 0 ? slashed : url; // every other request: the redirected one, sent as is
      seen.push(`${init.method} ${sent.slice(kintoUrl().length)} ${new Headers(init.headers).get("Authorization") === AUTH}`);
      return fetch(sent, init);
    };
  }

  beforeAll(async () => {
    expect((await raw("PUT", `/buckets/${BUCKET}`)).status).toBe(201);
    expect((await raw("PUT", `/buckets/${BUCKET}/collections/c`)).status).toBe(201);
  });
  afterAll(() => raw("DELETE", `/buckets/${BUCKET}`));

  it("a PUT keeps its method, body and credentials; reads follow too", async () => {
    const seen: string[] = [];
    const coll = testClient({ fetch: slashing(seen) })
      .bucket(BUCKET)
      .collection("c");
    const created = await firstValueFrom(coll.createRecord({ id: "r1", title: "via 307" }));
    expect((await raw("GET", `/buckets/${BUCKET}/collections/c/records/r1`)).json.data).toEqual(created.data);
    expect((await firstValueFrom(coll.getRecord("r1"))).data.title).toBe("via 307");
    expect((await firstValueFrom(coll.listRecords())).data.map((r) => r.id)).toEqual(["r1"]);
    // Each call: the slashed request (answered 307), then the redirected one with the credentials.
    const r1 = `/buckets/${BUCKET}/collections/c/records/r1`;
    const list = `/buckets/${BUCKET}/collections/c/records`;
    expect(seen).toEqual([
      `PUT ${r1}/ true`,
      `PUT ${r1} true`,
      `GET ${r1}/ true`,
      `GET ${r1} true`,
      `GET ${list}/?_sort=-last_modified true`,
      `GET ${list}?_sort=-last_modified true`,
    ]);
  });
});

describe("a browser's fetch, which hides a redirect's target (opaqueredirect)", () => {
  it("is asked again with redirect: follow (a browser drops Authorization across origins itself)", async () => {
    const calls: RequestRedirect[] = [];
    const browserLike: FetchLike = async (_url, init) => {
      calls.push(init.redirect ?? "follow");
      if (init.redirect === "manual") return { type: "opaqueredirect", status: 0, headers: new Headers() } as Response;
      return new Response(JSON.stringify({ data: { id: "r", last_modified: 1 } }), { status: 200 });
    };
    const client = new KintoClient("http://kinto.test/v1", { headers: { Authorization: SECRET }, fetch: browserLike });
    expect((await firstValueFrom(client.bucket("b").collection("c").getRecord("r"))).data.id).toBe("r");
    expect(calls).toEqual(["manual", "follow"]);
  });
});
