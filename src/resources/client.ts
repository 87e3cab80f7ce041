/**
 * The Kinto client: server information, buckets, permissions and batches, every operation a cold
 * Observable.
 */
import { catchError, defer, map, shareReplay, switchMap, throwError, type Observable, type SchedulerLike } from "rxjs";
import { RetryBudget, type RetryBudgetOptions } from "../http/budget";
import { clientChain, type KintoHandler, type KintoInterceptor } from "../http/chain";
import { decodeWith } from "../http/decode";
import { downloadChunks } from "../http/download";
import {
  DEFAULT_MAX_RESPONSE_BYTES,
  InvalidArgumentError,
  KintoHttpError,
  MissingCapabilityError,
  type Capability,
  type ResponseTooLargeError,
} from "../http/errors";
import { DEFAULT_MAX_BACKOFF, NoticeEmitter, Notices, type DeprecationAlert, type EventEmitterLike } from "../http/notices";
import { safeUrlText } from "../http/request";
import { DEFAULT_RETRY, type RetryPolicy } from "../http/retry";
import { defaultFetch, send, type FetchLike, type TransportConfig } from "../http/transport";
import type { Wait } from "../http/wait";
import {
  KintoObject,
  PermissionEntry,
  ServerInfo,
  type Account,
  type Envelope,
  type OpenIDProvider,
  type Permissions,
  type ServerCapabilities,
  type ServerSettings,
  type ServerUser,
  type Tombstone,
} from "../protocol/codecs";
import type { ListOptions } from "../protocol/listing";
import { createObject, deleteObject, fetchJson, type DeleteOptions, type ReadOptions, type WriteOptions } from "../protocol/operations";
import type { Resolved, ResourceOptions } from "../protocol/options";
import { paths } from "../protocol/paths";
import { clientScope, execute, type Executor, type Scope } from "../protocol/scope";
import type { BatchOptions, BatchRecording, BatchResult } from "../streams/batch";
import { deleteList, listObjects, type Page } from "../streams/pages";
import type { CreateAccountOptions } from "./accounts";
import { capabilities } from "./lazy";
import { openIDLoginURL } from "./openid";
import type { BucketBatcher, ClientBatcher, CollectionBatcher } from "./batcher";
import { Bucket } from "./bucket";
import type { Collection } from "./collection";
import { rawRequest, type RawRequest, type RawRequestOptions, type RawResponse } from "./raw";
import type * as t from "io-ts";

/** Options of {@link KintoClient}, as kinto-http.js documents them, plus transport extras. */
export interface KintoClientOptions {
  /** Add concurrency headers to every request (default false). */
  readonly safe?: boolean;
  /** An EventEmitter receiving `backoff`, `deprecated` and `retry-after` events (default: a new one). */
  readonly events?: EventEmitterLike;
  /** Headers for every request (e.g. `Authorization`). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Retries of transient failures (default 0). */
  readonly retry?: number;
  /** The default bucket (default `"default"`). */
  readonly bucket?: string;
  /** The CORS mode (default `"cors"`). */
  readonly requestMode?: RequestMode;
  /** Timeout per attempt in ms (default none). */
  readonly timeout?: number | null;
  /** fetch implementation (default: the global fetch, else cross-fetch). */
  readonly fetch?: FetchLike;
  /** Retry delays and caps (see {@link RetryPolicy}); `count` comes from `retry`. */
  readonly retryPolicy?: Partial<Omit<RetryPolicy, "count">>;
  /**
   * The retry budget shared by every request of this client (see {@link RetryBudget}): its
   * settings, a budget to share with other clients, or `false` for none. Default: capacity 500,
   * 5 tokens per retry, 10 per retry of a timeout, 1 back per success.
   */
  readonly retryBudget?: RetryBudgetOptions | RetryBudget | false;
  /**
   * Longest server `Backoff` honoured, in ms (default one day, {@link DEFAULT_MAX_BACKOFF}): a longer
   * one is waited for this long. Every wait is announced on `waiting$`.
   */
  readonly maxBackoff?: number;
  /**
   * Largest response body read, in bytes (default 64 MiB, {@link DEFAULT_MAX_RESPONSE_BYTES}): a
   * larger one fails with a {@link ResponseTooLargeError}, never retried.
   */
  readonly maxResponseBytes?: number;
  /**
   * Links of your own in the request chain (see {@link KintoInterceptor}), run in order for each
   * attempt of each request, after the Backoff wait and before the transport: add a header, log,
   * refresh a token on 401 and replay. Default none.
   */
  readonly interceptors?: readonly KintoInterceptor[];
  /**
   * The handler at the bottom of the chain, instead of the fetch transport (a transport of your
   * own, or a test's stand-in answering in virtual time). Default: `fetch`.
   */
  readonly backend?: KintoHandler;
  /**
   * The scheduler of the client's timers (Backoff and retry waits, timeouts) and the clock of its
   * notices: for tests on virtual time (RxJS's TestScheduler). Default: RxJS's async scheduler and `Date.now`.
   */
  readonly scheduler?: SchedulerLike;
}

/** Options of server information calls. */
export type ServerInfoOptions = Pick<ResourceOptions, "headers" | "retry">;

/** Options of bucket creation. */
export interface CreateBucketOptions extends WriteOptions {
  /** Data of the new bucket. */
  readonly data?: Record<string, unknown>;
}

/**
 * A client of one Kinto server.
 * @example
 * const client = new KintoClient("http://127.0.0.1:8888/v1", { headers: { Authorization: "Basic " + btoa("user:pass") } });
 * client.listBuckets().subscribe((page) => console.log(page.data));
 */
export class KintoClient {
  /** The server root, including the version, without trailing slash. */
  readonly remote: string;
  /** Backoff release time (ms since epoch; 0 when none). Replays the current value. */
  readonly backoff$: Observable<number>;
  /** Each deprecation `Alert` received. */
  readonly deprecated$: Observable<DeprecationAlert>;
  /** Release time of each `Retry-After` received. */
  readonly retryAfter$: Observable<number>;
  /**
   * Each wait of a request before it is sent, as it starts: a Backoff in force (feeds and uploads
   * wait for it) or the delay before a retry, with its length, end and request.
   */
  readonly waiting$: Observable<Wait>;
  /** The EventEmitter passed as `events`, else one created by the client (`client.events.on("backoff", …)`). */
  readonly events: EventEmitterLike;
  /** The default bucket name. */
  readonly defaultBucket: string;
  /** The retry budget shared by this client's requests (`undefined` with `retryBudget: false`). */
  readonly retryBudget?: RetryBudget;

  private headers: Readonly<Record<string, string>>;
  private readonly notices: Notices;
  private readonly options: ResourceOptions;
  private readonly transport: TransportConfig;
  private readonly retryPolicy: Omit<RetryPolicy, "count">;
  private readonly services: Executor;
  private readonly scope: Scope;
  private serverInfo$: Observable<ServerInfo>;

  /**
   * @param remote server root including the version, e.g. `http://127.0.0.1:8888/v1`
   * @param options client options
   */
  constructor(remote: string, options: KintoClientOptions = {}) {
    if (typeof remote === "string" && hasUserinfo(remote)) {
      throw new InvalidArgumentError(
        `The remote URL must not contain credentials (user:password@, got ${safeUrl(remote)}): ` +
          'send them in the Authorization header, e.g. new KintoClient(url, { headers: { Authorization: "Basic " + btoa("user:pass") } }).',
      );
    }
    if (typeof remote !== "string" || !/^https?:\/\/[^/]+(\/.*)?\/v\d+\/?$/.test(remote)) {
      throw new InvalidArgumentError(
        `The remote URL must include the API version, e.g. http://127.0.0.1:8888/v1 (got ${safeUrl(remote)}).`,
      );
    }
    this.remote = remote.replace(/\/$/, "");
    this.events = options.events ?? new NoticeEmitter();
    if (options.maxResponseBytes !== undefined && !(options.maxResponseBytes >= 1)) {
      throw new InvalidArgumentError(`maxResponseBytes must be a number >= 1, got ${options.maxResponseBytes}.`);
    }
    if (options.maxBackoff !== undefined && !(options.maxBackoff >= 0))
      throw new InvalidArgumentError(`maxBackoff must be a number >= 0, got ${options.maxBackoff}.`);
    const interceptors = options.interceptors ?? [];
    if (!Array.isArray(interceptors) || interceptors.some((i) => typeof i !== "function"))
      throw new InvalidArgumentError("interceptors must be an array of functions (request, next) => Observable.");
    const scheduler = options.scheduler;
    this.notices = new Notices(this.events, scheduler ? () => scheduler.now() : Date.now, options.maxBackoff ?? DEFAULT_MAX_BACKOFF);
    this.backoff$ = this.notices.backoff$.asObservable();
    this.deprecated$ = this.notices.deprecated$.asObservable();
    this.retryAfter$ = this.notices.retryAfter$.asObservable();
    this.waiting$ = this.notices.waiting$.asObservable();
    this.defaultBucket = options.bucket ?? "default";
    this.headers = { ...options.headers };
    this.options = { safe: options.safe ?? false, retry: options.retry ?? 0, timeout: options.timeout ?? null };
    this.retryPolicy = { ...DEFAULT_RETRY, ...options.retryPolicy };
    if (options.retryBudget !== false) {
      this.retryBudget = options.retryBudget instanceof RetryBudget ? options.retryBudget : new RetryBudget(options.retryBudget);
    }
    this.transport = {
      remote: this.remote,
      fetch: options.fetch ?? defaultFetch(),
      headers: () => this.headers,
      requestMode: options.requestMode ?? "cors",
      maxResponseBytes: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
    };
    const backend: KintoHandler = options.backend ?? ((request) => send(this.transport, request));
    const retryPolicyFor = (count: number): RetryPolicy => ({ ...this.retryPolicy, count, acquire: this.acquire, wait: this.retryWait });
    const handler = clientChain(
      {
        notices: this.notices,
        retryPolicyFor,
        budget: this.retryBudget,
        capabilityError: (error, capability) => this.capabilityError(error, capability),
        scheduler,
      },
      interceptors,
      backend,
    );
    this.services = {
      handler,
      remote: this.remote,
      notices: this.notices,
      retryPolicyFor,
      scheduler,
      fetchServerSettings: () => this.fetchServerSettings(),
      fetchServerCapabilities: () => this.fetchServerCapabilities(),
      download: (url, timeout) => this.download(url, timeout),
    };
    this.scope = clientScope(this.services, this.options);
    this.serverInfo$ = this.sharedServerInfo();
  }

  /** Server info fetched once and shared; a failure is not cached, so the next subscriber tries again. */
  private sharedServerInfo(): Observable<ServerInfo> {
    return defer(() => execute(this.scope, { method: "GET", path: paths.root() }, this.options as Resolved)).pipe(
      map((response) => decodeWith(ServerInfo, response.json, "server info")),
      shareReplay({ bufferSize: 1, refCount: false }),
    );
  }

  /**
   * Replaces the headers sent with every later request (merged over the current ones). The cached
   * server info is dropped, as kinto-http.js does: it carries the user, which new credentials change.
   */
  setHeaders(headers: Readonly<Record<string, string>>): void {
    this.headers = { ...this.headers, ...headers };
    this.serverInfo$ = this.sharedServerInfo();
  }

  /**
   * `error`, or a {@link MissingCapabilityError} when it is a 404 of an unknown route and the server info does not list
   * `capability`: the info shared by the client, fetched on this first 404 if no call needed it before.
   */
  private capabilityError(error: unknown, capability: Capability): Observable<never> {
    // A missing object's 404 names it in `details`; only a route the server does not know has none.
    if (!(error instanceof KintoHttpError) || error.status !== 404 || error.details !== undefined) return throwError(() => error);
    return this.serverInfo$.pipe(
      catchError(() => throwError(() => error)),
      switchMap((info) =>
        throwError(() =>
          Object.prototype.hasOwnProperty.call(info.capabilities, capability) ? error : new MissingCapabilityError(capability, error),
        ),
      ),
    );
  }

  /** The wait before a retry, announced on `waiting$` (the failed request taken from its error). */
  private readonly retryWait = (ms: number, error: unknown, scheduler?: SchedulerLike): Observable<unknown> =>
    this.notices.wait(
      "retry",
      ms,
      (error as { request?: { method: string; path: string } } | null)?.request,
      error,
      scheduler ?? this.services.scheduler,
    );

  /** The policy's own `acquire` (if any), then the shared budget (if any). */
  private readonly acquire = (error: unknown): boolean =>
    (this.retryPolicy.acquire?.(error) ?? true) && (this.retryBudget?.acquire(error) ?? true);

  /**
   * The chunks of `url` (an attachment's location), fetched with the client's fetch but none of
   * its headers: the file server may be another origin.
   */
  private download(url: string, timeout?: number | null): Observable<Uint8Array> {
    if (typeof url !== "string" || !/^https?:\/\//i.test(url)) throw new InvalidArgumentError("Only http(s) URLs are downloaded.");
    return downloadChunks(this.transport.fetch, url, timeout === undefined ? this.options.timeout : timeout);
  }

  /** Server information (root endpoint), fetched once per client and shared. */
  fetchServerInfo(options: ServerInfoOptions = {}): Observable<ServerInfo> {
    if (options.headers || options.retry !== undefined) {
      return fetchJson(this.scope, { method: "GET", path: paths.root() }, options, ServerInfo, "server info");
    }
    // shareReplay resets on error: a failed fetch is not kept, the next subscriber tries again.
    return this.serverInfo$;
  }

  /** The server's settings (`batch_max_requests`, `readonly`...). */
  fetchServerSettings(options?: ServerInfoOptions): Observable<ServerSettings> {
    return this.fetchServerInfo(options).pipe(map((info) => info.settings));
  }

  /** The server's capabilities (plugins). */
  fetchServerCapabilities(options?: ServerInfoOptions): Observable<ServerCapabilities> {
    return this.fetchServerInfo(options).pipe(map((info) => info.capabilities));
  }

  /** The authenticated user, or `undefined` when anonymous. Always asks the server (headers may have changed). */
  fetchUser(options?: ServerInfoOptions): Observable<ServerUser | undefined> {
    return fetchJson(this.scope, { method: "GET", path: paths.root() }, options, ServerInfo, "server info").pipe(map((info) => info.user));
  }

  /** The HTTP API version, e.g. `"1.23"`. */
  fetchHTTPApiVersion(options?: ServerInfoOptions): Observable<string> {
    return this.fetchServerInfo(options).pipe(map((info) => info.http_api_version));
  }

  /** A bucket (no request is sent). */
  bucket(name: string, options: ResourceOptions = {}): Bucket {
    return new Bucket(this.scope, name, options);
  }

  /** Pages of buckets. */
  listBuckets(options: ListOptions = {}): Observable<Page<KintoObject>> {
    return defer(() => listObjects(this.scope, paths.bucket(), KintoObject, options));
  }

  /** Creates a bucket; without an id the server generates one. */
  createBucket(id?: string | null, options: CreateBucketOptions = {}): Observable<Envelope<KintoObject>> {
    return createBucketIn(this.scope, id, options);
  }

  /** Deletes a bucket (and everything in it). */
  deleteBucket(bucket: string | { id: string }, options: DeleteOptions = {}): Observable<Envelope<Tombstone>> {
    return deleteBucketIn(this.scope, bucket, options);
  }

  /** Deletes the buckets matching `filters`: a `Page` of tombstones per chunk, as `Collection.deleteRecords`. */
  deleteBuckets(options: ListOptions = {}): Observable<Page<Tombstone>> {
    return defer(() => deleteList(this.scope, paths.bucket(), options));
  }

  /**
   * Sends the operations queued by `fn` in `/batch` requests (chunked by the server's
   * `batch_max_requests`); `bucket` and `collection` options set the default resource of `fn`.
   */
  batch<R = BatchResult>(
    fn: (batch: CollectionBatcher) => void,
    options: BatchOptions & { readonly bucket: string; readonly collection: string },
  ): Observable<R>;
  batch<R = BatchResult>(fn: (batch: BucketBatcher) => void, options: BatchOptions & { readonly bucket: string }): Observable<R>;
  batch<R = BatchResult>(fn: (batch: ClientBatcher) => void, options?: BatchOptions): Observable<R>;
  batch<R = BatchResult>(fn: (batch: never) => void, options: BatchOptions = {}): Observable<R> {
    const { bucket, collection } = options;
    return capabilities(({ batch, bucketBatcher, clientBatcher, collectionBatcher }) => {
      const open = ({ on, queue }: BatchRecording): ClientBatcher | BucketBatcher | CollectionBatcher => {
        const recording = on(this.scope);
        if (bucket === undefined) {
          return clientBatcher(
            {
              bucket: (name, o) => new Bucket(recording, name, o),
              createBucket: (id, o) => createBucketIn(recording, id, o),
              deleteBucket: (b, o) => deleteBucketIn(recording, b, o),
            },
            queue,
          );
        }
        const b = new Bucket(recording, bucket);
        return collection === undefined ? bucketBatcher(b, queue) : collectionBatcher(b.collection(collection) as Collection<never>, queue);
      };
      return batch<never, R>(this.scope, open as (recording: BatchRecording) => never, fn, options);
    });
  }

  /**
   * Sends a request to any endpoint below the version root (`__flush__`, a plugin's view...),
   * through the same chain as every other call: the client's headers, `retry`, `timeout`,
   * notices, and errors without credentials. Emits `{status, headers, json}` once; with `codec`,
   * `json` is validated by it.
   * @example
   * client.request({ method: "POST", path: "/__flush__" }).subscribe(({ status }) => console.log(status)); // 202
   */
  request<C extends t.Mixed | undefined = undefined>(
    request: RawRequest,
    options: RawRequestOptions<C> = {},
  ): Observable<RawResponse<C extends t.Mixed ? t.TypeOf<C> : unknown>> {
    return defer(() => rawRequest<C extends t.Mixed ? t.TypeOf<C> : unknown>(this.scope, request, options));
  }

  /**
   * Creates an account (accounts plugin): `PUT /accounts/{username}`. With `safe`, fails with 412
   * if it exists. Log in with it afterwards as `Basic username:password`.
   */
  createAccount(username: string, password: string, options?: CreateAccountOptions): Observable<Envelope<Account>> {
    return capabilities((m) => m.createAccount(this.scope, username, password, options));
  }

  /** One account (its password hash, never the password). */
  getAccount(username: string, options?: ReadOptions): Observable<Envelope<Account>> {
    return capabilities((m) => m.getAccount(this.scope, username, options));
  }

  /**
   * Changes an account's password (PATCH: other fields stay). When it is the client's own account,
   * call `setHeaders` with the new credentials afterwards: the old ones no longer authenticate.
   */
  updateAccountPassword(username: string, password: string, options?: Omit<WriteOptions, "patch">): Observable<Envelope<Account>> {
    return capabilities((m) => m.updateAccountPassword(this.scope, username, password, options));
  }

  /** Deletes an account. */
  deleteAccount(username: string, options?: DeleteOptions): Observable<Envelope<Tombstone>> {
    return capabilities((m) => m.deleteAccount(this.scope, username, options));
  }

  /** Pages of accounts: all of them for an administrator (`account_write_principals`), else one's own. */
  listAccounts(options?: ListOptions): Observable<Page<Account>> {
    return capabilities((m) => m.listAccounts(this.scope, options));
  }

  /** The server's OpenID Connect providers (`openid` capability); none without it. */
  fetchOpenIDProviders(): Observable<OpenIDProvider[]> {
    return capabilities((m) => m.openIDProviders(this.scope));
  }

  /**
   * The login URL of an OpenID provider for a browser app (sync, no request): the server sends
   * the user to the provider, then back to `callback` with the tokens appended.
   * @param provider one of {@link fetchOpenIDProviders}
   * @param callback the app's URL the tokens are appended to (trusted by the server's settings)
   * @param scope OpenID scopes (default `openid email`)
   */
  openIDLoginURL(provider: OpenIDProvider, callback: string, scope?: string): string {
    return openIDLoginURL(this.remote, provider, callback, scope);
  }

  /** Pages of the permissions endpoint (what the authenticated user may do). */
  listPermissions(options: ListOptions = {}): Observable<Page<PermissionEntry>> {
    const { sort, ...rest } = options;
    // The permissions endpoint cannot sort by last_modified; keep the server's order unless asked.
    return defer(() =>
      listObjects(this.scope, paths.permissions(), PermissionEntry, { ...rest, sort: sort ?? "id" }, "permissions_endpoint"),
    );
  }
}

/** Creates a bucket in `scope` (the client's, or a batch's recording). */
function createBucketIn(scope: Scope, id: string | null | undefined, options: CreateBucketOptions = {}): Observable<Envelope<KintoObject>> {
  return defer(() => {
    const data = { ...options.data, ...(id != null ? { id } : {}) };
    return createObject(scope, paths.bucket(), (bid) => paths.bucket(bid), data, KintoObject, options);
  });
}

/** Deletes a bucket in `scope`. */
function deleteBucketIn(scope: Scope, bucket: string | { id: string }, options: DeleteOptions = {}): Observable<Envelope<Tombstone>> {
  return defer(() => deleteObject(scope, paths.bucket(typeof bucket === "string" ? bucket : bucket?.id), options));
}

/** A URL for messages: without `user:password@`, whatever the password holds. */
function safeUrl(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(safeUrlText(value)) : typeof value;
}

/**
 * Whether `remote` carries a userinfo (`user:password@`), as fetch would read it, or has an `@`
 * that a URL parser cannot place (a password holding `/`, `?` or `#`).
 */
function hasUserinfo(remote: string): boolean {
  try {
    const url = new URL(remote);
    return url.username !== "" || url.password !== "" || /^[^?#]*@/.test(remote.slice(remote.indexOf("//") + 2).split("/")[0]);
  } catch {
    return remote.includes("@");
  }
}

/** Re-exported for convenience. */
export type { Permissions };
