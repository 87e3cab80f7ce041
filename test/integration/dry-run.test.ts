/**
 * Dry runs against the real server: the writes of an operation, a batch and an upload are recorded
 * and never reach the server; reads still run (or are recorded too); no credential is shown.
 */
import { lastValueFrom, toArray } from "rxjs";
import { dryRun, KintoClient, type DryRunRequest } from "../../src";
import { AUTH, kintoUrl, raw, uniqueName } from "../helpers";

const BUCKET = uniqueName("dry");

beforeAll(async () => {
  expect((await raw("PUT", `/buckets/${BUCKET}`)).status).toBe(201);
  expect((await raw("PUT", `/buckets/${BUCKET}/collections/c`)).status).toBe(201);
  expect((await raw("PUT", `/buckets/${BUCKET}/collections/c/records/kept`, { data: { v: 1 } })).status).toBe(201);
});

afterAll(async () => {
  await raw("DELETE", `/buckets/${BUCKET}`);
});

function dryClient(reads?: "send" | "record") {
  const requests: DryRunRequest[] = [];
  const client = new KintoClient(kintoUrl(), {
    headers: { Authorization: AUTH },
    safe: true,
    interceptors: [dryRun((r) => requests.push(r), { reads })],
  });
  return { collection: client.bucket(BUCKET).collection("c"), requests };
}

const recordIds = async () =>
  ((await raw("GET", `/buckets/${BUCKET}/collections/c/records`)).json.data as { id: string }[]).map((r) => r.id).sort();

describe("dry runs", () => {
  it("records the writes of operations, a batch and an upload; the server holds nothing new", async () => {
    const { collection, requests } = dryClient();
    expect(await lastValueFrom(collection.createRecord({ id: "draft", title: "x" }).pipe(toArray()))).toEqual([]);
    await lastValueFrom(collection.deleteRecord({ id: "kept", last_modified: 1 }).pipe(toArray()));
    await lastValueFrom(collection.batch((b) => b.createRecord({ id: "in-dry-batch" })).pipe(toArray()));
    await lastValueFrom(collection.uploadRecords([{ id: "up1" }, { id: "up2" }]).pipe(toArray()));
    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `PUT /buckets/${BUCKET}/collections/c/records/draft`,
      `DELETE /buckets/${BUCKET}/collections/c/records/kept`,
      "POST /batch",
      "POST /batch",
    ]);
    expect(requests[0]).toMatchObject({ headers: { "If-None-Match": "*" }, body: { data: { id: "draft", title: "x" } } });
    expect(requests[1].headers).toEqual({ "If-Match": '"1"' });
    expect((requests[2].body as { requests: { path: string }[] }).requests.map((r) => r.path)).toEqual([
      `/v1/buckets/${BUCKET}/collections/c/records/in-dry-batch`,
    ]);
    expect((requests[3].body as { requests: unknown[] }).requests).toHaveLength(2);
    expect(await recordIds()).toEqual(["kept"]);
  });

  it("reads are sent by default, recorded too with reads: 'record'; credentials of a call's headers are redacted", async () => {
    const sending = dryClient();
    const kept = await lastValueFrom(sending.collection.getRecord("kept"));
    expect(kept.data.v).toBe(1);
    expect(sending.requests).toEqual([]);

    const recording = dryClient("record");
    await lastValueFrom(recording.collection.getRecord("kept", { headers: { Authorization: "Bearer secret-token" } }).pipe(toArray()));
    expect(recording.requests).toEqual([
      { method: "GET", path: `/buckets/${BUCKET}/collections/c/records/kept`, headers: { Authorization: "[redacted]" } },
    ]);
    expect(JSON.stringify(recording.requests)).not.toContain("secret-token");
  });
});
