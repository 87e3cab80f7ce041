/**
 * Upload logic against a fake executor: an in-memory stand-in for Kinto's `/batch` (PUT with
 * `If-None-Match: *` / `If-Match`), so that lost responses and rolled-back transactions can be
 * played on purpose.
 */
import { defer, lastValueFrom, map, of, Subject, toArray, type Observable } from "rxjs";
import { marbles } from "rxjs-marbles/jest";
import { KintoClient, TransactionAbortedError, type UploadEvent, type UploadRecord } from "../../src";
import { WAIT_BACKOFF, type KintoHandler } from "../../src/http/chain";
import type { KintoResponse } from "../../src/http/transport";
import type { BatchRequest } from "../../src/streams/batch";
import { preloadCapabilities } from "../../src/resources/lazy";

// The façade loads the feed and uploads on first use (a Promise): loaded before virtual time runs.
beforeAll(preloadCapabilities);

type Responder = (requests: readonly BatchRequest[], call: number) => Observable<KintoResponse>;

/** A collection whose client sends every request to `respond`, and the record of what was sent. */
function fakeCollection(respond: Responder, options: ConstructorParameters<typeof KintoClient>[1] = {}) {
  const calls: { requests: readonly BatchRequest[]; idempotent?: boolean; waitBackoff: boolean }[] = [];
  const info: KintoResponse = {
    status: 200,
    headers: new Headers(),
    json: {
      project_name: "fake",
      project_version: "0",
      http_api_version: "1.23",
      url: "http://kinto.invalid/v1/",
      settings: { batch_max_requests: 25, readonly: false },
      capabilities: {},
    },
  };
  const backend: KintoHandler = (request) =>
    request.path === "/"
      ? of(info)
      : defer(() => {
          const requests = (request.body as { requests: BatchRequest[] }).requests;
          calls.push({ requests, idempotent: request.idempotent, waitBackoff: request.context?.get(WAIT_BACKOFF) ?? false });
          return respond(requests, calls.length);
        });
  const client = new KintoClient("http://kinto.invalid/v1", { backend, ...options });
  return { collection: client.bucket("b").collection("c"), calls };
}

/** Kinto's record writes, in memory: 201/200, or 412 with `details.existing`. */
function memoryServer() {
  const records = new Map<string, Record<string, unknown>>();
  let clock = 1000;
  const apply = (requests: readonly BatchRequest[]) =>
    requests.map((sub) => {
      const id = decodeURIComponent(sub.path.split("/").pop()!);
      const existing = records.get(id);
      const ifMatch = sub.headers?.["If-Match"];
      const refused =
        (sub.headers?.["If-None-Match"] === "*" && existing) || (ifMatch && (!existing || ifMatch !== `"${existing.last_modified}"`));
      if (refused)
        return { status: 412, path: sub.path, body: { code: 412, errno: 114, error: "Precondition Failed", details: { existing } } };
      const record = { ...(sub.body as { data: Record<string, unknown> }).data, id, last_modified: ++clock };
      records.set(id, record);
      return { status: existing ? 200 : 201, path: sub.path, body: { data: record } };
    });
  const answer = (responses: unknown[]): KintoResponse => ({ status: 200, headers: new Headers(), json: { responses } });
  return { records, apply, answer };
}

const results = (events: UploadEvent[]) => events.flatMap((e) => (e.type === "chunk" ? e.results : []));
const batchIds = (requests: readonly BatchRequest[]) => requests.map((r) => (r.body as { data: { id: string } }).data.id);

describe("upload: retries without duplicates", () => {
  it("a resent chunk whose creates were already applied (412, identical records) counts them as created", async () => {
    const server = memoryServer();
    // The transport lost the first answer and sent the same /batch again: the server applied it twice.
    const { collection, calls } = fakeCollection((requests) => {
      server.apply(requests);
      return of(server.answer(server.apply(requests)));
    });
    let n = 0;
    const events = await lastValueFrom(
      collection.uploadRecords([{ a: 1 }, { a: 2 }, { id: "own", a: 3 }], { safe: true, generateId: () => `gen-${++n}` }).pipe(toArray()),
    );
    expect(calls).toHaveLength(1);
    expect(calls[0].idempotent).toBe(true);
    expect(calls[0].waitBackoff).toBe(true);
    expect(calls[0].requests.map((r) => [r.method, r.path, r.headers])).toEqual([
      ["PUT", "/v1/buckets/b/collections/c/records/gen-1", { "If-None-Match": "*" }],
      ["PUT", "/v1/buckets/b/collections/c/records/gen-2", { "If-None-Match": "*" }],
      ["PUT", "/v1/buckets/b/collections/c/records/own", { "If-None-Match": "*" }],
    ]);
    expect(results(events).map((r) => [r.id, r.status])).toEqual([
      ["gen-1", "created"],
      ["gen-2", "created"],
      ["own", "created"],
    ]);
    expect(events[events.length - 1].progress).toEqual({ sent: 3, confirmed: 3, failed: 0 });
    expect([...server.records.keys()]).toEqual(["gen-1", "gen-2", "own"]);
  });

  it("a 412 whose existing record differs is a conflict, carrying the server's record", async () => {
    const server = memoryServer();
    server.apply([{ method: "PUT", path: "/v1/buckets/b/collections/c/records/x", body: { data: { a: "theirs" } } }]);
    const { collection } = fakeCollection((requests) => of(server.answer(server.apply(requests))));
    const events = await lastValueFrom(collection.uploadRecords([{ id: "x", a: "mine" }], { safe: true }).pipe(toArray()));
    const [result] = results(events);
    expect(result.status).toBe("conflict");
    expect(result.status === "conflict" && result.existing).toMatchObject({ id: "x", a: "theirs" });
    expect(result.status === "conflict" && result.error.status).toBe(412);
    expect(events[events.length - 1].progress).toEqual({ sent: 1, confirmed: 0, failed: 1 });
  });

  it("a 409 inside a 200: what came before it (rolled back) is sent again with the same ids, what came after it is not", async () => {
    const server = memoryServer();
    // Kinto's batch view: item 1 answers 409 and aborts the transaction; item 0's 201 is void; item
    // 2 runs in a new transaction and is kept.
    const { collection, calls } = fakeCollection((requests, call) => {
      if (call > 1) return of(server.answer(server.apply(requests)));
      const [kept] = server.apply([requests[2]]);
      const void201 = { status: 201, path: requests[0].path, body: { data: { id: "void", last_modified: 1 } } };
      return of(server.answer([void201, { status: 409, path: requests[1].path, body: { code: 409 } }, kept]));
    });
    const events = await lastValueFrom(collection.uploadRecords([{ a: 1 }, { a: 2 }, { a: 3 }]).pipe(toArray()));
    expect(calls).toHaveLength(2);
    expect(batchIds(calls[1].requests)).toEqual(batchIds(calls[0].requests).slice(0, 2));
    expect(results(events).map((r) => [r.id, r.status])).toEqual(batchIds(calls[0].requests).map((id) => [id, "created"]));
    expect([...server.records.keys()].sort()).toEqual(batchIds(calls[0].requests).sort());
    // One "sent" per chunk, not per attempt.
    expect(events.filter((e) => e.type === "sent")).toHaveLength(1);
  });

  it(
    "waits for the rolled-back item's Retry-After before sending the chunk again",
    marbles((m) => {
      const server = memoryServer();
      const { collection } = fakeCollection((requests, call) =>
        of(
          call === 1
            ? server.answer(requests.map((r) => ({ status: 409, path: r.path, body: { code: 409 }, headers: { "retry-after": "3" } })))
            : server.answer(server.apply(requests)),
        ),
      );
      const events = collection
        .uploadRecords([{ a: 1 }], { retry: 1, generateId: () => "x" })
        .pipe(map((e) => (e.type === "sent" ? "s" : e.results[0].status[0])));
      m.expect(events).toBeObservable("s 2999ms (c|)");
    }),
  );

  it(
    "without Retry-After, resends after the client's retryPolicy delay",
    marbles((m) => {
      const server = memoryServer();
      const rolledBack = (requests: readonly BatchRequest[]) =>
        server.answer(requests.map((r) => ({ status: 409, path: r.path, body: { code: 409 } })));
      // baseDelay 1000 and no jitter: [d/2, d) gives 500 ms, then 1000 ms.
      const { collection } = fakeCollection(
        (requests, call) => of(call <= 2 ? rolledBack(requests) : server.answer(server.apply(requests))),
        {
          retryPolicy: { baseDelay: 1000, random: () => 0 },
        },
      );
      const events = collection
        .uploadRecords([{ a: 1 }], { retry: 2, generateId: () => "x" })
        .pipe(map((e) => (e.type === "sent" ? "s" : e.results[0].status[0])));
      m.expect(events).toBeObservable("s 1499ms (c|)");
    }),
  );

  it("fails with TransactionAbortedError when rollbackRetries are exhausted", async () => {
    const rolledBack = (requests: readonly BatchRequest[]) =>
      of({
        status: 200,
        headers: new Headers(),
        json: { responses: requests.map((r) => ({ status: 409, path: r.path, body: { code: 409 } })) },
      });
    const { collection, calls } = fakeCollection(rolledBack, { retryPolicy: { baseDelay: 1 } });
    await expect(lastValueFrom(collection.uploadRecords([{ a: 1 }], { rollbackRetries: 2 }))).rejects.toBeInstanceOf(
      TransactionAbortedError,
    );
    expect(calls).toHaveLength(3);
  });

  it("per-record 4xx inside a 200 are reported and never replayed", async () => {
    const { collection, calls } = fakeCollection((requests) =>
      of({
        status: 200,
        headers: new Headers(),
        json: {
          responses: requests.map((r, i) =>
            i === 0
              ? { status: 400, path: r.path, body: { code: 400, message: "bad" } }
              : { status: 201, path: r.path, body: { data: { id: "y", last_modified: 1 } } },
          ),
        },
      }),
    );
    const events = await lastValueFrom(collection.uploadRecords([{ id: "x" }, { id: "y" }], { retry: 3 }).pipe(toArray()));
    expect(calls).toHaveLength(1);
    expect(results(events).map((r) => r.status)).toEqual(["failed", "created"]);
  });
});

describe("upload: backpressure", () => {
  it("pulls concurrency × chunkSize records, then one chunk per answered chunk", async () => {
    const answers: Subject<KintoResponse>[] = [];
    const { collection } = fakeCollection(() => {
      const answer = new Subject<KintoResponse>();
      answers.push(answer);
      return answer;
    });
    let pulled = 0;
    function* source(): Generator<UploadRecord> {
      for (let n = 0; n < 100; n++) {
        pulled++;
        yield { id: `r${n}` };
      }
    }
    const events: UploadEvent[] = [];
    const subscription = collection.uploadRecords(source(), { chunkSize: 10, concurrency: 3 }).subscribe((e) => events.push(e));
    expect(pulled).toBe(30);
    expect(answers).toHaveLength(3);
    const ok = (ids: number[]): KintoResponse => ({
      status: 200,
      headers: new Headers(),
      json: { responses: ids.map((n) => ({ status: 201, path: `/r${n}`, body: { data: { id: `r${n}`, last_modified: 1 } } })) },
    });
    answers[1].next(ok([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]));
    answers[1].complete();
    expect(pulled).toBe(40);
    expect(answers).toHaveLength(4);
    expect(events.map((e) => `${e.type}${e.chunk}`)).toEqual(["sent0", "sent1", "sent2", "chunk1", "sent3"]);
    expect(answers.map((a) => a.observed)).toEqual([true, false, true, true]);
    subscription.unsubscribe();
    // Unsubscribing unsubscribed every request in flight, and pulled nothing more.
    expect(answers.map((a) => a.observed)).toEqual([false, false, false, false]);
    expect(pulled).toBe(40);
  });
});

describe("upload: synchronous answers", () => {
  it("uploads 10,000 records answered synchronously, the stack as deep at the last chunk as at the first", async () => {
    const server = memoryServer();
    const depths: number[] = [];
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = Infinity;
    try {
      const { collection, calls } = fakeCollection((requests) => {
        depths.push(new Error().stack!.split("\n").length);
        return of(server.answer(server.apply(requests)));
      });
      const source = Array.from({ length: 10_000 }, (_, n) => ({ n }));
      const events = await lastValueFrom(collection.uploadRecords(source, { concurrency: 4 }).pipe(toArray()));
      expect(calls).toHaveLength(400);
      expect(results(events).filter((r) => r.status === "created")).toHaveLength(10_000);
      expect(server.records.size).toBe(10_000);
      expect(Math.max(...depths.slice(4))).toBeLessThanOrEqual(Math.max(...depths.slice(0, 4)) + 50);
    } finally {
      Error.stackTraceLimit = limit;
    }
  });
});
