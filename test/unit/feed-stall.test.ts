/**
 * A feed against a server that stalls: the first poll's answer sends its headers, then one byte a
 * second, for ever. Without a `timeout` of the call or the client, the feed's own default (30 s per
 * request, body included) aborts that poll and retries it; the retried poll gets the change.
 * (On main before this, the feed made 1 poll and never recovered.) A local scripted server: this is
 * about the client's timers, not about Kinto.
 */
import { firstValueFrom, timeout } from "rxjs";
import { KintoClient } from "../../src";
import { localServer, sendJson, type LocalServer } from "../security/local-server";
import { serverInfo } from "../faults/scripted";

let server: LocalServer;
let polls = 0;

beforeAll(async () => {
  server = await localServer((req, res) => {
    if (!req.url?.includes("/records")) return sendJson(res, 200, serverInfo());
    if (++polls === 1) {
      res.writeHead(200, { "Content-Type": "application/json", ETag: '"5"' });
      const drip = setInterval(() => (res.destroyed ? clearInterval(drip) : res.write(" ")), 1000);
      res.on("close", () => clearInterval(drip));
      return;
    }
    sendJson(res, 200, { data: [{ id: "r", last_modified: 5 }] }, { ETag: '"5"' });
  });
});
afterAll(() => server?.close());

it("a stalled poll is aborted at the feed's default timeout and retried: the change arrives", async () => {
  const started = Date.now();
  const change = await firstValueFrom(
    new KintoClient(server.url).bucket("b").collection("c").watchRecords({ since: 1 }).pipe(timeout(45_000)),
  );
  expect(change).toEqual({ id: "r", last_modified: 5 });
  expect(polls).toBe(2);
  expect(Date.now() - started).toBeGreaterThanOrEqual(29_000);
}, 60_000);
