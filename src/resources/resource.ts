/**
 * What buckets and collections share: their own data and permissions.
 */
import { defer, map, type Observable } from "rxjs";
import { KintoObject, type Envelope, type Permissions } from "../protocol/codecs";
import {
  getObject,
  getObjectPermissions,
  patchPermissions,
  requireObject,
  updateObject,
  type DeleteOptions,
  type ReadOptions,
  type WriteOptions,
} from "../protocol/operations";
import type { ResourceOptions } from "../protocol/options";
import { type Scope } from "../protocol/scope";

/** Options of `setPermissions`, `addPermissions`, `removePermissions`. */
export type PermissionsOptions = DeleteOptions;

/** A bucket or a collection: an object with data and permissions of its own. */
export abstract class Resource {
  /** @internal where its operations run */
  abstract readonly scope: Scope;
  /** The object's id. */
  abstract readonly name: string;
  /** @internal its endpoint */
  protected abstract get path(): string;

  /** The object's data. */
  getData(options?: ReadOptions): Observable<KintoObject> {
    return defer(() => getObject(this.scope, this.path, KintoObject, options)).pipe(map((e) => e.data));
  }

  /** Replaces (or with `patch`, merges) the object's data. */
  setData(data: Record<string, unknown>, options: WriteOptions = {}): Observable<Envelope<KintoObject>> {
    return defer(() => {
      requireObject(data, "data");
      return updateObject(this.scope, this.path, { ...data, id: this.name }, KintoObject, options);
    });
  }

  /** The object's permissions. */
  getPermissions(options?: ResourceOptions): Observable<Permissions> {
    return defer(() => getObjectPermissions(this.scope, this.path, options));
  }

  /** Replaces the object's permissions (the data stays). */
  setPermissions(permissions: Partial<Permissions>, options: PermissionsOptions = {}): Observable<Envelope<KintoObject>> {
    return defer(() => {
      requireObject(permissions, "permissions");
      return updateObject(this.scope, this.path, undefined, KintoObject, { ...options, permissions });
    });
  }

  /** Adds principals to the object's permissions (JSON-Patch); the others stay. */
  addPermissions(permissions: Partial<Permissions>, options?: PermissionsOptions): Observable<Envelope<KintoObject>> {
    return defer(() => patchPermissions(this.scope, this.path, permissions, "add", options));
  }

  /** Removes principals from the object's permissions (JSON-Patch); the others stay. */
  removePermissions(permissions: Partial<Permissions>, options?: PermissionsOptions): Observable<Envelope<KintoObject>> {
    return defer(() => patchPermissions(this.scope, this.path, permissions, "remove", options));
  }
}
