/** Unit tests of the fault-injecting proxy, against a tiny local upstream. */
import * as http from "http";
import type { AddressInfo } from "net";
import { Fault, FaultProxy, ProxyOptions, mulberry32, startFaultProxy } from "./proxy";

/** Upstream echoing method, url, host and body as JSON; counts its hits. */
let upstream: http.Server;
let upstreamUrl: string;
let hits = 0;
const open: FaultProxy[] = [];

beforeAll(async () => {
  upstream = http.createServer((req, res) => {
    hits++;
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = JSON.stringify({
        data: { method: req.method, url: req.url, host: req.headers.host, body: Buffer.concat(chunks).toString() },
      });
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});

afterAll(async () => {
  upstream.closeAllConnections();
  await new Promise<void>((resolve) => upstream.close(() => resolve()));
});

beforeEach(() => {
  hits = 0;
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((p) => p.close()));
});

async function proxy(options: Partial<ProxyOptions> = {}): Promise<FaultProxy> {
  const p = await startFaultProxy({ upstream: upstreamUrl, ...options });
  open.push(p);
  return p;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("mulberry32", () => {
  it("is deterministic per seed and yields floats in [0, 1)", () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const xs = Array.from({ length: 100 }, () => a());
    expect(Array.from({ length: 100 }, () => b())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(mulberry32(43)()).not.toEqual(xs[0]);
  });
});

describe("fault proxy", () => {
  it("forwards method, path, query, body and sets Host to the upstream", async () => {
    const p = await proxy();
    const res = await fetch(`${p.url}/v1/buckets?_limit=2`, { method: "POST", body: '{"x":1}' });
    expect(res.status).toBe(200);
    expect(res.headers.get("connection")).toBe("close");
    const { data } = await res.json();
    expect(data).toEqual({ method: "POST", url: "/v1/buckets?_limit=2", host: new URL(upstreamUrl).host, body: '{"x":1}' });
    expect(p.stats).toMatchObject({ requests: 1, forwarded: 1, log: [{ method: "POST", url: "/v1/buckets?_limit=2", fault: "none" }] });
    expect(typeof p.stats.log[0].at).toBe("number");
  });

  it("503: answers a Kinto 503 with Retry-After, without forwarding", async () => {
    const p = await proxy({ retryAfter: "7" });
    p.next("503");
    const res = await fetch(`${p.url}/v1/`);
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("7");
    expect(await res.json()).toEqual({ code: 503, errno: 201, error: "Service Unavailable", message: "injected" });
    expect(hits).toBe(0);
    expect(p.stats.forwarded).toBe(0);
  });

  it("409: answers a Kinto 409 (errno 122) with Retry-After, without forwarding", async () => {
    const p = await proxy({ retryAfter: "0" });
    p.next("409");
    const res = await fetch(`${p.url}/v1/batch`, { method: "POST", body: "{}" });
    expect(res.status).toBe(409);
    expect(res.headers.get("retry-after")).toBe("0");
    expect(await res.json()).toEqual({ code: 409, errno: 122, error: "Conflict", message: "injected" });
    expect(hits).toBe(0);
  });

  it("reset-before: destroys the socket without forwarding", async () => {
    const p = await proxy();
    p.next("reset-before");
    await expect(fetch(`${p.url}/v1/`)).rejects.toThrow();
    expect(hits).toBe(0);
  });

  it("reset-after: the upstream commits, the client gets a reset", async () => {
    const p = await proxy();
    p.next("reset-after");
    await expect(fetch(`${p.url}/v1/`, { method: "PUT", body: "{}" })).rejects.toThrow();
    expect(hits).toBe(1);
    expect(p.stats.forwarded).toBe(1);
  });

  it("delay: a client timeout is recorded and nothing is forwarded", async () => {
    const p = await proxy({ delayMs: 400 });
    p.next("delay");
    await expect(fetch(`${p.url}/v1/`, { signal: AbortSignal.timeout(50) })).rejects.toThrow();
    await sleep(500);
    expect(p.stats.clientAborts).toBe(1);
    expect(hits).toBe(0);
  });

  it("delay: a patient client gets the upstream response late", async () => {
    const p = await proxy({ delayMs: 100 });
    p.next("delay");
    const started = Date.now();
    const res = await fetch(`${p.url}/v1/`);
    expect((await res.json()).data.url).toBe("/v1/");
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(p.stats.clientAborts).toBe(0);
  });

  it("truncate: headers arrive but the body is cut short", async () => {
    const p = await proxy();
    p.next("truncate");
    const res = await fetch(`${p.url}/v1/some/long/path/for/a/longer/body`);
    expect(res.status).toBe(200);
    expect(Number(res.headers.get("content-length"))).toBeGreaterThan(0);
    await expect(res.text()).rejects.toThrow();
    expect(hits).toBe(1);
  });

  it("invalid-json: answers 200 with a broken JSON body", async () => {
    const p = await proxy();
    p.next("invalid-json");
    const res = await fetch(`${p.url}/v1/`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(await res.text()).toBe('{"data": [');
    expect(hits).toBe(1);
  });

  it("backoff: adds a Backoff header to the upstream response", async () => {
    const p = await proxy({ backoffSeconds: 30 });
    p.next("backoff");
    const res = await fetch(`${p.url}/v1/`);
    expect(res.headers.get("backoff")).toBe("30");
    expect((await res.json()).data.url).toBe("/v1/");
  });

  it("next() forces faults in order, then the random schedule resumes", async () => {
    const p = await proxy({ rate: 0 });
    p.next("backoff", "503");
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await fetch(`${p.url}/v1/${i}`)).status);
    expect(statuses).toEqual([200, 503, 200]);
    expect(p.stats.log.map((e) => e.fault)).toEqual(["backoff", "503", "none"]);
    expect(p.stats.faults).toMatchObject({ backoff: 1, "503": 1, none: 1 });
  });

  it("filter: excluded requests are never faulted and keep forced faults queued", async () => {
    const p = await proxy({ rate: 1, faults: ["503"], filter: (r) => r.method !== "GET" });
    p.next("invalid-json");
    expect((await fetch(`${p.url}/v1/`)).status).toBe(200);
    expect(await (await fetch(`${p.url}/v1/`, { method: "POST", body: "{}" })).text()).toBe('{"data": [');
    expect((await fetch(`${p.url}/v1/`, { method: "DELETE" })).status).toBe(503);
    expect(p.stats.log.map((e) => e.fault)).toEqual(["none", "invalid-json", "503"]);
  });

  it("is deterministic: same seed, same fault sequence", async () => {
    const faults: Fault[] = ["503", "backoff", "invalid-json"];
    const run = async (seed: number) => {
      const p = await proxy({ seed, rate: 0.5, faults });
      for (let i = 0; i < 30; i++) await (await fetch(`${p.url}/v1/${i}`)).text();
      return p.stats.log.map((e) => e.fault);
    };
    const first = await run(7);
    expect(await run(7)).toEqual(first);
    expect(await run(8)).not.toEqual(first);
    expect(new Set(first)).toEqual(new Set(["none", ...faults]));
  });

  it("setRate() switches faults on and off", async () => {
    const p = await proxy({ faults: ["503"] });
    expect((await fetch(`${p.url}/v1/`)).status).toBe(200);
    p.setRate(1);
    expect((await fetch(`${p.url}/v1/`)).status).toBe(503);
    p.setRate(0);
    expect((await fetch(`${p.url}/v1/`)).status).toBe(200);
  });

  it("close() resolves with a pending delay and stops listening", async () => {
    const p = await startFaultProxy({ upstream: upstreamUrl, delayMs: 60_000 });
    p.next("delay");
    const pending = fetch(`${p.url}/v1/`);
    pending.catch(() => undefined); // rejection asserted below, after close()
    await sleep(50);
    await p.close();
    await expect(pending).rejects.toThrow();
    await expect(fetch(`${p.url}/v1/`)).rejects.toThrow();
    expect(hits).toBe(0);
  });
});
