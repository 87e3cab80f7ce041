/**
 * Server notices against real Kinto servers: `kinto.backoff` (Backoff header), `kinto.eos*`
 * (Alert header, soft and hard end of life), and Retry-After (a real 503 needs a broken backend,
 * so the fault proxy answers one 503 in front of the real server). Each notice must reach the hot
 * subjects and an `events` EventEmitter, as kinto-http.js emits them.
 */
import { EventEmitter } from "node:events";
import { firstValueFrom, lastValueFrom } from "rxjs";
import { KintoClient, KintoHttpError, NoticeEmitter, type DeprecationAlert } from "../../src";
import { startFaultProxy, type FaultProxy } from "../faults/proxy";
import { AUTH, current, kintoUrl, uniqueName } from "../helpers";
import { startKinto, type KintoServer } from "../server/kinto-server";

const EOS_MESSAGE = "kinto-rx test server is going away";
const EOS_URL = "https://example.com/kinto-rx-eol";

let backoffServer: KintoServer;
let softEol: KintoServer;
let hardEol: KintoServer;
let proxy: FaultProxy;

beforeAll(async () => {
  const eos = { "kinto.eos_message": EOS_MESSAGE, "kinto.eos_url": EOS_URL };
  // allSettled: whatever started is kept for afterAll to stop, even if another start failed.
  const started = await Promise.allSettled([
    startKinto({ settings: { "kinto.backoff": "10" } }).then((s) => (backoffServer = s)),
    startKinto({ settings: { "kinto.eos": "2099-01-01", ...eos } }).then((s) => (softEol = s)),
    startKinto({ settings: { "kinto.eos": "2000-01-01", ...eos } }).then((s) => (hardEol = s)),
    startFaultProxy({ upstream: new URL(kintoUrl()).origin, retryAfter: "1" }).then((p) => (proxy = p)),
  ]);
  for (const result of started) if (result.status === "rejected") throw result.reason;
}, 90_000);

afterAll(async () => {
  await Promise.all([backoffServer?.stop(), softEol?.stop(), hardEol?.stop(), proxy?.close()]);
});

/** A client of `url` with an EventEmitter recording every event it receives, in order. */
function recordingClient(url: string, retry = 0): { client: KintoClient; events: [string, unknown][] } {
  const emitter = new EventEmitter();
  const events: [string, unknown][] = [];
  for (const name of ["backoff", "deprecated", "retry-after"]) emitter.on(name, (payload: unknown) => events.push([name, payload]));
  return { client: new KintoClient(url, { headers: { Authorization: AUTH }, events: emitter, retry }), events };
}

describe("Backoff (kinto.backoff = 10)", () => {
  it("publishes the release time on backoff$ and emits `backoff` on the EventEmitter", async () => {
    const { client, events } = recordingClient(backoffServer.url);
    const before = Date.now();
    await lastValueFrom(client.createBucket(uniqueName("notices")));
    const after = Date.now();
    const release = current(client.backoff$);
    expect(release).toBeGreaterThanOrEqual(before + 10_000);
    expect(release).toBeLessThanOrEqual(after + 10_000);
    expect(events).toEqual([["backoff", release]]);
    expect(current(client.backoff$) - Date.now()).toBeGreaterThan(0);
    expect(current(client.backoff$) - Date.now()).toBeLessThanOrEqual(10_000);
    // A BehaviorSubject: a late subscriber gets the current release time at once.
    expect(await firstValueFrom(client.backoff$)).toBe(release);
  });

  it("emits `backoff` 0 from a server without Backoff, and backoff$ returns to 0 when it stops", async () => {
    const { client, events } = recordingClient(`${proxy.url}/v1`);
    const seen: number[] = [];
    client.backoff$.subscribe((value) => seen.push(value));
    proxy.next("backoff"); // the real server's answer plus `Backoff: 1`, then plain answers
    await lastValueFrom(client.fetchHTTPApiVersion());
    await lastValueFrom(client.fetchUser());
    expect(seen).toHaveLength(3);
    expect(seen[0]).toBe(0);
    expect(seen[1]).toBeGreaterThan(0);
    expect(seen[2]).toBe(0);
    expect(events).toEqual([
      ["backoff", seen[1]],
      ["backoff", 0],
    ]);
  });
});

describe("Alert (kinto.eos)", () => {
  it("soft end of life: the request succeeds and deprecated$ / `deprecated` carry code, message and url", async () => {
    const { client, events } = recordingClient(softEol.url);
    const alerts: DeprecationAlert[] = [];
    client.deprecated$.subscribe((alert) => alerts.push(alert));
    const version = await lastValueFrom(client.fetchHTTPApiVersion());
    expect(version).toMatch(/^\d+\.\d+$/);
    const expected = { code: "soft-eol", message: EOS_MESSAGE, url: EOS_URL };
    expect(alerts).toEqual([expected]);
    expect(events.filter(([name]) => name === "deprecated")).toEqual([["deprecated", expected]]);
  });

  it("hard end of life: 410 Gone (KintoHttpError) and a hard-eol alert", async () => {
    const { client, events } = recordingClient(hardEol.url);
    const alerts: DeprecationAlert[] = [];
    client.deprecated$.subscribe((alert) => alerts.push(alert));
    const error = await lastValueFrom(client.bucket("b").getData()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KintoHttpError);
    expect(error).toMatchObject({ status: 410, errno: 202, code: 410 });
    expect(alerts).toEqual([{ code: "hard-eol", message: EOS_MESSAGE, url: EOS_URL }]);
    expect(events.map(([name]) => name)).toEqual(["backoff", "deprecated"]);
  });

  it("a client created without `events` still exposes one (kinto-http's contract)", async () => {
    const client = new KintoClient(softEol.url, { headers: { Authorization: AUTH } });
    expect(client.events).toBeInstanceOf(NoticeEmitter);
    const received: DeprecationAlert[] = [];
    client.events.on("deprecated", (alert) => received.push(alert));
    await lastValueFrom(client.fetchHTTPApiVersion());
    expect(received).toEqual([{ code: "soft-eol", message: EOS_MESSAGE, url: EOS_URL }]);
  });
});

describe("Retry-After (a 503 injected in front of the real server)", () => {
  it("publishes retryAfter$ / `retry-after`, retries once and gets the real server's answer", async () => {
    const bucket = uniqueName("notices");
    const { client, events } = recordingClient(`${proxy.url}/v1`, 1);
    const releases: number[] = [];
    client.retryAfter$.subscribe((at) => releases.push(at));
    const start = proxy.stats.requests;
    const forwarded = proxy.stats.forwarded;
    proxy.next("503");
    const before = Date.now();
    const created = await lastValueFrom(client.createBucket(bucket));
    expect(created.data.id).toBe(bucket);
    expect(proxy.stats.requests - start).toBe(2);
    expect(proxy.stats.forwarded - forwarded).toBe(1);
    expect(releases).toHaveLength(1);
    expect(releases[0]).toBeGreaterThanOrEqual(before + 1000);
    expect(events.filter(([name]) => name === "retry-after")).toEqual([["retry-after", releases[0]]]);
    // The bucket exists on the real server, created once.
    const direct = await fetch(`${kintoUrl()}/buckets/${bucket}`, { headers: { Authorization: AUTH } });
    expect(direct.status).toBe(200);
  });

  it("without retry, the 503 is the error (retryAfterMs) and the notice still fires", async () => {
    const { client } = recordingClient(`${proxy.url}/v1`, 0);
    const releases: number[] = [];
    client.retryAfter$.subscribe((at) => releases.push(at));
    proxy.next("503");
    const error = await lastValueFrom(client.fetchUser()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KintoHttpError);
    expect(error).toMatchObject({ status: 503, errno: 201, retryAfterMs: 1000 });
    expect(releases).toHaveLength(1);
  });
});
