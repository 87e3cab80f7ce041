/**
 * listRecords({at}) against the real server: the history plugin's snapshot endpoint when the
 * server has it, the history replayed where it does not (an older Kinto: the route is unknown).
 */
import { firstValueFrom } from "rxjs";
import { IncompleteHistoryError, InvalidArgumentError, KintoHttpError } from "../../src";
import { raw, testClient, uniqueName } from "../helpers";

const BUCKET = uniqueName("snapshots");
const records = (cid: string) => `/buckets/${BUCKET}/collections/${cid}/records`;

beforeAll(async () => {
  expect((await raw("PUT", `/buckets/${BUCKET}`)).status).toBe(201);
});

/**
 * A fetch that records the paths it sends; with `withoutSnapshots`, it sends a snapshot request to a
 * path the server has no route for, so the real server answers what a Kinto without the endpoint does.
 */
function recordingFetch(withoutSnapshots = false) {
  const sent: string[] = [];
  const fetcher = ((url: string, init: RequestInit) => {
    const target = withoutSnapshots ? url.replace("/snapshot/collections/", "/snapshot-unknown/collections/") : url;
    sent.push(new URL(target).pathname);
    return fetch(target, init);
  }) as typeof fetch;
  return { fetch: fetcher, sent };
}

/** A collection with a history: a, b created; then (after `t1`) a updated, b deleted, c created. */
async function history(cid: string): Promise<{ t1: number; t2: number }> {
  const coll = testClient().bucket(BUCKET).collection(cid);
  await firstValueFrom(testClient().bucket(BUCKET).createCollection(cid));
  await firstValueFrom(coll.createRecord({ id: "a", v: 1 }));
  await firstValueFrom(coll.createRecord({ id: "b", v: 1 }));
  const t1 = Number(JSON.parse((await firstValueFrom(coll.getRecordsTimestamp()))!));
  await firstValueFrom(coll.updateRecord({ id: "a", v: 2 }));
  await firstValueFrom(coll.deleteRecord("b"));
  await firstValueFrom(coll.createRecord({ id: "c", v: 1 }));
  const t2 = Number(JSON.parse((await firstValueFrom(coll.getRecordsTimestamp()))!));
  return { t1, t2 };
}

describe("listRecords({at})", () => {
  it("asks the server's snapshot endpoint, and the replay gives the same pages where there is none", async () => {
    const cid = "both";
    const { t1, t2 } = await history(cid);
    const now = (await raw("GET", `${records(cid)}?_sort=-last_modified`)).json.data;
    const served = recordingFetch();
    const replayed = recordingFetch(true);
    for (const [at, expected] of [
      [
        t1,
        [
          ["b", 1],
          ["a", 1],
        ],
      ],
      [t2, now.map((r: { id: string; v: number }) => [r.id, r.v])],
    ] as const) {
      const fromServer = await firstValueFrom(testClient({ fetch: served.fetch }).bucket(BUCKET).collection(cid).listRecords({ at }));
      const fromHistory = await firstValueFrom(testClient({ fetch: replayed.fetch }).bucket(BUCKET).collection(cid).listRecords({ at }));
      expect(fromServer.data.map((r) => [r.id, r.v])).toEqual(expected);
      expect(fromHistory.data).toEqual(fromServer.data);
      expect(fromServer).toMatchObject({ last_modified: String(at), hasNextPage: false, totalRecords: expected.length });
    }
    expect(served.sent.some((p) => p.endsWith(`/snapshot/collections/${cid}@${t1}`))).toBe(true);
    expect(served.sent.some((p) => p.endsWith("/history"))).toBe(false);
    expect(replayed.sent.some((p) => p.endsWith("/history"))).toBe(true);
  });

  it("the endpoint serves a collection whose creation is not in the history; the replay refuses it", async () => {
    const cid = "nohist";
    expect((await raw("PUT", `/buckets/${BUCKET}/collections/${cid}`)).status).toBe(201);
    expect((await raw("PUT", `${records(cid)}/x`, { data: { v: 1 } })).status).toBe(201);
    const purge = await raw("DELETE", `/buckets/${BUCKET}/history?resource_name=collection&collection_id=${cid}`);
    expect(purge.status).toBe(200);
    const at = Date.now() + 1000;
    const served = await firstValueFrom(testClient().bucket(BUCKET).collection(cid).listRecords({ at }));
    expect(served.data.map((r) => r.id)).toEqual(["x"]);
    const replayed = testClient({ fetch: recordingFetch(true).fetch })
      .bucket(BUCKET)
      .collection(cid)
      .listRecords({ at });
    await expect(firstValueFrom(replayed)).rejects.toBeInstanceOf(IncompleteHistoryError);
  });

  it("a snapshot of a collection one may not read fails with the server's error, not a replay", async () => {
    const other = testClient({ headers: { Authorization: "Basic " + Buffer.from("someone-else:pw").toString("base64") } });
    const error = await firstValueFrom(other.bucket(BUCKET).collection("both").listRecords({ at: Date.now() })).catch((e) => e);
    expect(error).toBeInstanceOf(KintoHttpError);
    expect((error as KintoHttpError).status).toBe(403);
  });

  it("refuses an at that is no positive integer before any request", async () => {
    const sent = recordingFetch();
    const coll = testClient({ fetch: sent.fetch }).bucket(BUCKET).collection("both");
    for (const at of ["soon", '"12"x', "1.5", -1])
      await expect(firstValueFrom(coll.listRecords({ at }))).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(sent.sent).toEqual([]);
  });
});
