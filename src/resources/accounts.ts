/**
 * Accounts (the accounts plugin, `/accounts`) and the server's OpenID Connect providers. Every
 * account operation checks the `accounts` capability first (from the cached server info).
 */
import { defer, map, type Observable } from "rxjs";
import { decodeWith } from "../http/decode";
import { InvalidArgumentError } from "../http/errors";
import type { Page } from "../streams/pages";
import * as t from "io-ts";
import { withCapability, capabilitiesOf } from "../protocol/capabilities";
import { Account, OpenIDProvider, type Envelope, type Tombstone } from "../protocol/codecs";
import {
  createObject,
  deleteObject,
  getObject,
  updateObject,
  type DeleteOptions,
  type ReadOptions,
  type WriteOptions,
} from "../protocol/operations";
import { paths } from "../protocol/paths";
import { type ListOptions } from "../protocol/listing";
import { listObjects } from "../streams/pages";
import { type Scope } from "../protocol/scope";

/** Options of `createAccount`: the write options and extra account fields. */
export interface CreateAccountOptions extends Omit<WriteOptions, "patch" | "last_modified"> {
  /** Other fields stored with the account (the plugin keeps them). */
  readonly data?: Record<string, unknown>;
}

function requirePassword(password: unknown): asserts password is string {
  if (typeof password !== "string" || password === "")
    throw new InvalidArgumentError("An account password is required (a non-empty string).");
}

/** `PUT /accounts/{username}` with the password; with `safe`, only if the account does not exist yet. */
export function createAccount(
  scope: Scope,
  username: string,
  password: string,
  options: CreateAccountOptions = {},
): Observable<Envelope<Account>> {
  return withCapability(scope.executor, "accounts", "createAccount", () =>
    defer(() => {
      requirePassword(password);
      const path = paths.account(username); // checks the id
      return createObject(scope, paths.account(), () => path, { ...options.data, id: username, password }, Account, options);
    }),
  );
}

/** `GET /accounts/{username}`: the account (its password hash, never the password). */
export function getAccount(scope: Scope, username: string, options?: ReadOptions): Observable<Envelope<Account>> {
  return withCapability(scope.executor, "accounts", "getAccount", () =>
    defer(() => getObject(scope, paths.account(username), Account, options)),
  );
}

/** `PATCH /accounts/{username}` with the new password; the account's other fields stay. */
export function updateAccountPassword(
  scope: Scope,
  username: string,
  password: string,
  options: Omit<WriteOptions, "patch"> = {},
): Observable<Envelope<Account>> {
  return withCapability(scope.executor, "accounts", "updateAccountPassword", () =>
    defer(() => {
      requirePassword(password);
      return updateObject(scope, paths.account(username), { password }, Account, { ...options, patch: true });
    }),
  );
}

/** `DELETE /accounts/{username}`; emits the tombstone. */
export function deleteAccount(scope: Scope, username: string, options?: DeleteOptions): Observable<Envelope<Tombstone>> {
  return withCapability(scope.executor, "accounts", "deleteAccount", () =>
    defer(() => deleteObject(scope, paths.account(username), options)),
  );
}

/** Pages of `/accounts`: every account for an administrator (`account_write_principals`), else one's own. */
export function listAccounts(scope: Scope, options: ListOptions = {}): Observable<Page<Account>> {
  return withCapability(scope.executor, "accounts", "listAccounts", () =>
    defer(() => listObjects(scope, paths.account(), Account, options)),
  );
}

const Providers = t.array(OpenIDProvider);

/** The OpenID Connect providers of the `openid` capability (none when the server has no such capability). */
export function openIDProviders(scope: Scope): Observable<OpenIDProvider[]> {
  return capabilitiesOf(scope.executor).pipe(
    map((capabilities) => {
      const providers = capabilities?.openid?.providers;
      return providers === undefined ? [] : decodeWith(Providers, providers, "the openid capability's providers");
    }),
  );
}
