/**
 * What attachments and their downloads share, kept out of those (lazily loaded) modules so that an
 * app can use the parser and the error class without loading either: a file given as a data URL,
 * kinto-attachment's metadata codec, and the error of a download that is not the record's file.
 */
import * as t from "io-ts";
import { InvalidArgumentError, KintoError } from "../http/errors";

/**
 * A file decoded from a data URL.
 * @inline
 */
export interface DataUrlFile {
  /** The file's bytes. */
  readonly bytes: Uint8Array;
  /** Its media type (`application/octet-stream` when the URL names none). */
  readonly type: string;
  /** The `name=` parameter of the data URL, if any (URL-decoded). */
  readonly name?: string;
}

/**
 * Parses a data URL (`data:text/plain;name=a.txt;base64,SGk=`): base64 or percent-encoded payload,
 * media type and optional `name=` parameter.
 */
export function parseDataURL(dataURL: string): DataUrlFile {
  const match = typeof dataURL === "string" ? /^data:([^,]*),(.*)$/s.exec(dataURL) : null;
  if (!match) throw new InvalidArgumentError("addAttachment expects a data URL (data:[<type>][;name=<file>][;base64],<data>).");
  const [type = "", ...params] = match[1].split(";");
  const base64 = params.includes("base64");
  const nameParam = params.find((p) => p.startsWith("name="));
  const payload = match[2];
  const bytes = base64 ? fromBase64(payload) : new TextEncoder().encode(decodeURIComponent(payload));
  return {
    bytes,
    type: type || "application/octet-stream",
    name: nameParam ? decodeURIComponent(nameParam.slice("name=".length)) : undefined,
  };
}

/** Bytes of a base64 payload (atob: the same in browsers and Node). */
function fromBase64(payload: string): Uint8Array {
  let binary: string;
  try {
    binary = atob(decodeURIComponent(payload).replace(/\s/g, ""));
  } catch {
    throw new InvalidArgumentError("The data URL's base64 payload is invalid.");
  }
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** What kinto-attachment answers to an upload: the attachment's metadata. */
export const AttachmentMetadata = t.intersection(
  [
    t.type({
      /** The file's name. */
      filename: t.string,
      /** The URL the file is served from. */
      location: t.string,
      /** The file's hash. */
      hash: t.string,
      /** The file's media type. */
      mimetype: t.string,
      /** The file's size, in bytes. */
      size: t.number,
    }),
    t.UnknownRecord,
  ],
  "AttachmentMetadata",
);
/** What kinto-attachment answers to an upload. */
export type AttachmentMetadata = t.TypeOf<typeof AttachmentMetadata>;

/** A downloaded attachment is not the file its record describes (size or sha256 differ). */
export class AttachmentIntegrityError extends KintoError {
  /** The file's URL (without query). */
  readonly location: string;
  /** The size the record announces, in bytes. */
  readonly expectedSize: number;
  /** The bytes received (for a longer file: where the download was cut off). */
  readonly actualSize: number;
  /** The sha256 the record announces (hex). */
  readonly expectedHash: string;
  /** The sha256 of what was received, when the size matched. */
  readonly actualHash?: string;
  /** @param location the URL @param expected the record's metadata @param actualSize bytes received @param actualHash their hash */
  constructor(location: string, expected: { size: number; hash: string }, actualSize: number, actualHash?: string) {
    const what =
      actualHash === undefined
        ? `${actualSize > expected.size ? "more than" : "only"} ${actualSize} bytes where the record announces ${expected.size}`
        : `sha256 ${actualHash} where the record announces ${expected.hash}`;
    super(`The attachment at ${location} is not the record's file: ${what}.`);
    this.location = location;
    this.expectedSize = expected.size;
    this.actualSize = actualSize;
    this.expectedHash = expected.hash;
    this.actualHash = actualHash;
  }
}
