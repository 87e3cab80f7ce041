/**
 * The request chain against the real server: interceptors of the README (log each request,
 * refresh credentials on 401 and replay), what they see of retries, and batches recording through
 * the chain without leaking anything they started.
 */
import { catchError, lastValueFrom, switchMap, throwError, timer } from "rxjs";
import { logRequests, refreshOn401 } from "../../examples/interceptors";
import { ContextToken, InvalidArgumentError, KintoClient, KintoHttpError, RequestContext, type KintoInterceptor } from "../../src";
import { AUTH, countingFetch, kintoUrl, raw, uniqueName } from "../helpers";

const BUCKET = uniqueName("chain");

beforeAll(async () => {
  expect((await raw("PUT", `/buckets/${BUCKET}`)).status).toBe(201);
  expect((await raw("PUT", `/buckets/${BUCKET}/collections/c`)).status).toBe(201);
});

afterAll(async () => {
  await raw("DELETE", `/buckets/${BUCKET}`);
});

describe("interceptors", () => {
  it("a logging interceptor sees each request with its method, path, status and duration", async () => {
    const lines: string[] = [];
    const client = new KintoClient(kintoUrl(), {
      headers: { Authorization: AUTH },
      interceptors: [logRequests((line) => lines.push(line))],
    });
    const collection = client.bucket(BUCKET).collection("c");
    await lastValueFrom(collection.createRecord({ id: "logged", n: 1 }));
    await lastValueFrom(collection.getRecord("missing").pipe(catchError(() => [undefined])));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(new RegExp(`^PUT /buckets/${BUCKET}/collections/c/records/logged 201 \\d+ms$`));
    expect(lines[1]).toMatch(/^GET .*\/records\/missing 404 \d+ms$/);
    expect((await raw("GET", `/buckets/${BUCKET}/collections/c/records/logged`)).json.data.n).toBe(1);
  });

  it("a 401 refreshes the credentials once and replays the request; later requests use them", async () => {
    let authorization = "";
    let refreshes = 0;
    const counter = countingFetch();
    const refresh = () =>
      timer(5).pipe(
        switchMap(async () => {
          refreshes++;
          return AUTH;
        }),
      );
    // The bucket is private to the test user: an anonymous write is a 401 (authenticate first).
    const client: KintoClient = new KintoClient(kintoUrl(), {
      fetch: counter.fetch,
      interceptors: [refreshOn401(refresh, (value) => client.setHeaders({ Authorization: (authorization = value) }))],
    });
    const collection = client.bucket(BUCKET).collection("c");
    const created = await lastValueFrom(collection.createRecord({ id: "refreshed", by: "interceptor" }));
    expect(created.data.id).toBe("refreshed");
    expect(refreshes).toBe(1);
    expect(counter.count("PUT")).toBe(2); // the 401, then the replay
    await lastValueFrom(collection.getRecord("refreshed"));
    expect(refreshes).toBe(1);
    expect(authorization).toBe(AUTH);
    expect((await raw("GET", `/buckets/${BUCKET}/collections/c/records/refreshed`)).json.data.by).toBe("interceptor");
  });

  it("sees each attempt of a retried request, after the Backoff wait; a throwing interceptor fails only its request", async () => {
    const seen: string[] = [];
    const counting: KintoInterceptor = (request, next) => {
      seen.push(request.path);
      return next(request);
    };
    let first = true;
    const flaky: KintoInterceptor = (request, next) => {
      if (first) {
        first = false;
        return throwError(() => new KintoHttpError(503, { method: request.method, path: request.path }, {}, 10));
      }
      return next(request);
    };
    const client = new KintoClient(kintoUrl(), { headers: { Authorization: AUTH }, retry: 2, interceptors: [counting, flaky] });
    await lastValueFrom(client.bucket(BUCKET).collection("c").getData());
    expect(seen).toEqual([`/buckets/${BUCKET}/collections/c`, `/buckets/${BUCKET}/collections/c`]);

    const throwing = new KintoClient(kintoUrl(), {
      interceptors: [
        () => {
          throw new Error("interceptor bug");
        },
      ],
    });
    const failing = throwing.fetchServerInfo();
    await expect(lastValueFrom(failing)).rejects.toThrow("interceptor bug");
  });

  it("a context value of the caller's reaches its interceptor", async () => {
    const TRACE = new ContextToken<string | undefined>("trace", () => undefined);
    const traced: string[] = [];
    const client = new KintoClient(kintoUrl(), {
      headers: { Authorization: AUTH },
      interceptors: [
        (request, next) => {
          const trace = request.context?.get(TRACE);
          if (trace !== undefined) traced.push(trace);
          return next(trace === undefined ? request : { ...request, headers: { ...request.headers, "X-Trace": trace } });
        },
      ],
    });
    const answer = await lastValueFrom(client.request({ method: "GET", path: "/", context: RequestContext.empty.set(TRACE, "abc") }));
    expect(answer.status).toBe(200);
    expect(traced).toEqual(["abc"]);
  });
});

describe("batches record through the chain", () => {
  it("anything but writes and single reads inside batch() is an InvalidArgumentError; nothing is sent, nothing keeps running", async () => {
    const counter = countingFetch();
    const client = new KintoClient(kintoUrl(), { headers: { Authorization: AUTH }, fetch: counter.fetch });
    const collection = client.bucket(BUCKET).collection("c");
    const feedInBatch = lastValueFrom(
      collection.batch((b) => {
        b.createRecord({ x: 1 });
        // @ts-expect-error: a live feed is not an operation a batch can hold
        b.watchRecords();
      }),
    );
    await expect(feedInBatch).rejects.toThrow(InvalidArgumentError);
    await expect(feedInBatch).rejects.toThrow(/watchRecords\(\) cannot be part of a batch/);
    // @ts-expect-error: server info is not part of a batch
    await expect(lastValueFrom(client.batch((b) => b.fetchServerInfo()))).rejects.toThrow(/fetchServerInfo\(\) cannot be part of a batch/);
    // @ts-expect-error: the user is not part of a batch
    await expect(lastValueFrom(client.batch((b) => b.fetchUser()))).rejects.toThrow(/fetchUser\(\) cannot be part of a batch/);
    // @ts-expect-error: a listing is not part of a batch
    await expect(lastValueFrom(collection.batch((b) => b.listRecords()))).rejects.toThrow(InvalidArgumentError);
    await new Promise((done) => setTimeout(done, 300));
    expect(counter.count()).toBe(0);
  });

  it("a batch's queued operations all complete inside the call: after it, no request is sent", async () => {
    const counter = countingFetch();
    const client = new KintoClient(kintoUrl(), { headers: { Authorization: AUTH }, fetch: counter.fetch });
    const responses = await lastValueFrom(
      client.bucket(BUCKET).batch((b) => {
        b.collection("c").createRecord({ id: "queued" });
        b.getData();
      }),
    );
    expect(Array.isArray(responses) && responses.map((r) => r.status)).toEqual([201, 200]);
    const after = counter.count();
    await new Promise((done) => setTimeout(done, 300));
    expect(counter.count()).toBe(after);
    expect((await raw("GET", `/buckets/${BUCKET}/collections/c/records/queued`)).status).toBe(200);
  });
});
