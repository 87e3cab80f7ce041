// Run by test/angular/http-client.test.ts in a Node process of its own (Angular is ESM only): the
// built kinto-rx/angular with Angular's real HttpClient (JIT, zoneless, no DOM) against the Kinto
// server at $KINTO_URL, in the bucket $BUCKET (writable by $AUTH). Prints one JSON line of findings.
import "@angular/compiler";
import { HttpErrorResponse, HttpEventType, provideHttpClient, withFetch, withInterceptors } from "@angular/common/http";
import { HttpTestingController, provideHttpClientTesting } from "@angular/common/http/testing";
import { ApplicationRef, createEnvironmentInjector, Injector, provideZonelessChangeDetection, ɵINJECTOR_SCOPE } from "@angular/core";
import { KintoHttpError } from "kinto-rx";
import { KintoClient, provideKintoClient } from "kinto-rx/angular";
import { finalize, firstValueFrom, tap, timer } from "rxjs";

const { KINTO_URL, BUCKET, AUTH } = process.env;
const seen = [];
/** An app interceptor: every request kinto-rx sends, with its outcome. */
const recording = (req, next) => {
  const entry = { method: req.method, path: req.url.slice(KINTO_URL.length), status: null, finalized: false };
  seen.push(entry);
  return next(req).pipe(
    tap({
      next: (event) => event.type === HttpEventType.Response && (entry.status = event.status),
      error: (error) => (entry.status = error instanceof HttpErrorResponse ? error.status : "error"),
    }),
    finalize(() => (entry.finalized = true)),
  );
};
/** An application's root injector, zoneless and without a DOM. */
const app = (providers) =>
  createEnvironmentInjector(
    [{ provide: ɵINJECTOR_SCOPE, useValue: "root" }, provideZonelessChangeDetection(), ...providers],
    Injector.create({ providers: [] }),
  );

const findings = {};
const injector = app([
  provideHttpClient(withFetch(), withInterceptors([recording])),
  provideKintoClient(KINTO_URL, { headers: { Authorization: AUTH }, bucket: BUCKET }),
]);
const client = injector.get(KintoClient);
const tasks = client.bucket(BUCKET).collection("tasks");

// A write, then a read: both seen by the interceptor.
const { data: created } = await firstValueFrom(tasks.createRecord({ id: "from-angular", title: "Sent by HttpClient" }));
findings.created = created.title;
findings.listed = (await firstValueFrom(tasks.listRecords())).data.map((r) => r.id);

// whenStable waits for kinto-rx's request (a pending task of HttpClient).
let answered = false;
tasks.getRecord("from-angular").subscribe(() => (answered = true));
await injector.get(ApplicationRef).whenStable();
findings.answeredWhenStable = answered;

// HEAD (getRecordsTimestamp) and the feed's 304 polls: empty bodies through HttpClient.
findings.timestamp = typeof (await firstValueFrom(tasks.getRecordsTimestamp()));
const polls = tasks.watchRecords({ interval: 30 }).subscribe();
await firstValueFrom(timer(400));
polls.unsubscribe();

// An HTTP error is the server's, as with fetch.
findings.missing = await firstValueFrom(tasks.getRecord("nope")).then(
  () => "no error",
  (error) => (error instanceof KintoHttpError ? error.status : String(error)),
);

// Unsubscribing aborts: HttpClient's subscription is torn down before any answer.
const before = seen.length;
tasks.listRecords().subscribe().unsubscribe();
await injector.get(ApplicationRef).whenStable();
findings.cancelled = seen.slice(before).map((e) => ({ status: e.status, finalized: e.finalized }));
findings.requests = seen.map((e) => `${e.method} ${e.path.replace(/\?.*/, "?…")} ${e.status}`);

// HttpTestingController sees kinto-rx's requests and answers them.
const testing = app([provideHttpClient(), provideHttpClientTesting(), provideKintoClient("http://kinto.test/v1")]);
const fake = testing.get(KintoClient).bucket("b").collection("c").getRecord("r1");
const reply = firstValueFrom(fake);
const request = testing.get(HttpTestingController).expectOne("http://kinto.test/v1/buckets/b/collections/c/records/r1");
request.flush(JSON.stringify({ data: { id: "r1", last_modified: 1, title: "flushed" } }), { headers: { ETag: '"1"' } });
findings.flushed = (await reply).data.title;

console.log(JSON.stringify(findings));
process.exit(0);
