/**
 * kinto-rx: a Kinto REST API client in which every operation is a cold, cancellable RxJS Observable.
 * @packageDocumentation
 */
export { KintoClient, type KintoClientOptions, type ServerInfoOptions, type CreateBucketOptions } from "./resources/client";
export { Bucket, type CreateOptions, type PermissionsOptions } from "./resources/bucket";
export { Resource } from "./resources/resource";
export { Collection, type RecordOf, type ListRecordsOptions } from "./resources/collection";
export type { ClientBatcher, BucketBatcher, CollectionBatcher, ResourceBatcher } from "./resources/batcher";
export type { ReadOptions, WriteOptions, DeleteOptions } from "./protocol/operations";
export type { RawRequest, RawRequestOptions, RawResponse } from "./resources/raw";
export type { CreateAccountOptions } from "./resources/accounts";
export type { Changeset, ChangesetOptions } from "./resources/changeset";
export type { ResourceOptions, CollectionOptions } from "./protocol/options";
export { etagTimestamp, type ListOptions, type FilterValue } from "./protocol/listing";
export {
  Permissions,
  Timestamp,
  KintoObjectMeta,
  KintoRecordMeta,
  KintoObject,
  KintoRecord,
  Tombstone,
  Group,
  envelope,
  list,
  HistoryEntry,
  PermissionEntry,
  ServerSettings,
  ServerUser,
  ServerCapabilities,
  ServerInfo,
  BatchResponse,
  BatchResponses,
  Account,
  OpenIDProvider,
  type Envelope,
} from "./protocol/codecs";
export {
  KintoError,
  KintoHttpError,
  NetworkTimeoutError,
  NetworkError,
  OutcomeUnknownError,
  UnparseableResponseError,
  PayloadValidationError,
  InvalidArgumentError,
  RetryAfterTooLongError,
  PaginationLoopError,
  ResponseTooLargeError,
  MissingCapabilityError,
  DEFAULT_MAX_PAGE_REQUESTS,
  DEFAULT_MAX_RESPONSE_BYTES,
  type RequestSummary,
  type KintoErrorBody,
  type ValidationIssue,
  type Capability,
} from "./http/errors";
export type { KintoHandler, KintoInterceptor } from "./http/chain";
export { RETRY, TIMEOUT } from "./http/chain";
export { ContextToken, RequestContext } from "./http/context";
export { dryRun, type DryRunOptions, type DryRunRequest } from "./http/dry-run";
export { NoticeEmitter, DEFAULT_MAX_BACKOFF, type DeprecationAlert, type EventEmitterLike, type NoticeEventMap } from "./http/notices";
export { waitFor, MAX_TIMER_MS, type Wait } from "./http/wait";
export { DEFAULT_RETRY, isTransient, retryDelay, retryTransient, type RetryPolicy, type RetryOptions } from "./http/retry";
export { parseRetryAfter } from "./http/retry-after";
export { RetryBudget, DEFAULT_RETRY_BUDGET, type RetryBudgetOptions } from "./http/budget";
export { decode, decodeWith, errorBodyOf, MAX_ERROR_BODY_DEPTH } from "./http/decode";
export type { KintoRequest, HttpMethod, QueryValue } from "./http/request";
export type { FetchLike, FetchInit, FetchResponse, HeadersLike, KintoResponse } from "./http/transport";
export { records, allRecords, toAsyncIterable, PageGuard, type Page } from "./streams/pages";
export { aggregate } from "./streams/aggregate";
export type { BatchOptions, BatchResult, AggregateResponse, BatchRequest, CheckedBatchResponse } from "./streams/batch";
export { TransactionAbortedError, type Outcome } from "./streams/outcomes";
export type { WatchOptions, Change } from "./streams/feed";
export { UploadStoppedError, IncompleteHistoryError, type UploadStopReason } from "./streams/errors";
export type { UploadSource, UploadOptions, UploadEvent, UploadRecord, UploadProgress, RecordResult } from "./streams/upload";
export type { AttachmentOptions } from "./resources/attachments";
export { parseDataURL, AttachmentIntegrityError, type AttachmentMetadata } from "./resources/attachment-file";
export type { AttachmentRecord, DownloadOptions } from "./resources/attachment-download";

import { KintoClient } from "./resources/client";
export default KintoClient;
