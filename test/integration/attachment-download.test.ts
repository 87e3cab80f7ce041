/**
 * Attachment downloads against the real kinto_attachment plugin: its files are written to a folder
 * that a small file server of this test serves (as a CDN would), so that a test can also damage a
 * stored file and see the check refuse it.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { firstValueFrom, lastValueFrom, toArray } from "rxjs";
import { AttachmentIntegrityError, InvalidArgumentError, KintoClient, KintoHttpError, type Collection } from "../../src";
import { freePort, startKinto, type KintoServer } from "../server/kinto-server";
import { AUTH } from "../helpers";

let kinto: KintoServer;
let files: Server;
let folder: string;
let filesUrl: string;
const received: IncomingHttpHeaders[] = [];
let failNext = 0;

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), "kinto-rx-files-"));
  const port = await freePort();
  filesUrl = `http://127.0.0.1:${port}/files/`;
  files = createServer((req, res) => {
    received.push(req.headers);
    if (failNext > 0) {
      failNext--;
      res.writeHead(503).end();
      return;
    }
    const relative = decodeURIComponent(new URL(req.url ?? "/", filesUrl).pathname.replace(/^\/files\//, ""));
    if (relative.includes("..")) return void res.writeHead(400).end();
    try {
      const body = readFileSync(join(folder, relative));
      res.writeHead(200, { "Content-Length": String(body.length) }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((ok) => files.listen(port, "127.0.0.1", ok));
  kinto = await startKinto({ attachments: { path: folder, url: filesUrl } });
}, 60_000);

afterAll(async () => {
  await kinto?.stop();
  await new Promise((ok) => files?.close(ok));
  rmSync(folder, { recursive: true, force: true });
});

let counter = 0;
async function withFile(bytes: Uint8Array, client = new KintoClient(kinto.url, { headers: { Authorization: AUTH } })) {
  const cid = `c${++counter}`;
  await firstValueFrom(client.createBucket("files")).catch(() => undefined);
  await firstValueFrom(client.bucket("files").createCollection(cid));
  const coll: Collection = client.bucket("files").collection(cid);
  const dataURL = `data:text/plain;name=blob.txt;base64,${Buffer.from(bytes).toString("base64")}`;
  const { data } = await firstValueFrom(coll.addAttachment(dataURL, { id: "r1" }));
  const location = (data.attachment as { location: string }).location;
  const onDisk = join(folder, decodeURIComponent(location.slice(filesUrl.length)));
  return { coll, record: data, onDisk };
}

describe("downloadAttachment", () => {
  it("emits the file's bytes once, checked, and sends none of the client's headers to the file server", async () => {
    const bytes = randomBytes(300_000);
    const { coll, record } = await withFile(bytes);
    expect(record.attachment).toMatchObject({ size: bytes.length, hash: createHash("sha256").update(bytes).digest("hex") });
    received.length = 0;
    const emitted = await lastValueFrom(coll.downloadAttachment("r1").pipe(toArray()));
    expect(emitted).toHaveLength(1);
    expect(Buffer.from(emitted[0]).equals(bytes)).toBe(true);
    expect(received).toHaveLength(1);
    expect(received[0].authorization).toBeUndefined();
    // With the record at hand, only the file is requested.
    const again = await firstValueFrom(coll.downloadAttachment(record));
    expect(Buffer.from(again).equals(bytes)).toBe(true);
    expect(received).toHaveLength(2);
  });

  it("refuses a file whose bytes changed (same size): AttachmentIntegrityError with both hashes, nothing emitted", async () => {
    const bytes = randomBytes(5000);
    const { coll, onDisk } = await withFile(bytes);
    const damaged = Buffer.from(readFileSync(onDisk));
    damaged[1234] ^= 0xff;
    writeFileSync(onDisk, damaged);
    const seen: Uint8Array[] = [];
    const error = await new Promise<unknown>((ok) =>
      coll.downloadAttachment("r1").subscribe({ next: (b) => seen.push(b), error: ok, complete: () => ok(null) }),
    );
    expect(error).toBeInstanceOf(AttachmentIntegrityError);
    const integrity = error as AttachmentIntegrityError;
    expect(integrity.expectedHash).toBe(createHash("sha256").update(bytes).digest("hex"));
    expect(integrity.actualHash).toBe(createHash("sha256").update(damaged).digest("hex"));
    expect(seen).toEqual([]);
  });

  it("refuses a longer or a shorter file by its size", async () => {
    const bytes = randomBytes(4000);
    const { coll, onDisk } = await withFile(bytes);
    writeFileSync(onDisk, Buffer.concat([bytes, Buffer.from("extra")]));
    const longer = await firstValueFrom(coll.downloadAttachment("r1")).catch((e) => e);
    expect(longer).toBeInstanceOf(AttachmentIntegrityError);
    expect(longer.actualSize).toBeGreaterThan(4000);
    writeFileSync(onDisk, bytes.subarray(0, 3999));
    const shorter = await firstValueFrom(coll.downloadAttachment("r1")).catch((e) => e);
    expect(shorter).toMatchObject({ expectedSize: 4000, actualSize: 3999 });
  });

  it("retries a transient failure of the file server with retry, and reports a 404 as a KintoHttpError", async () => {
    const bytes = randomBytes(1000);
    const { coll, onDisk } = await withFile(bytes);
    failNext = 1;
    const bytesBack = await firstValueFrom(coll.downloadAttachment("r1", { retry: 1 }));
    expect(Buffer.from(bytesBack).equals(bytes)).toBe(true);
    rmSync(onDisk);
    const missing = await firstValueFrom(coll.downloadAttachment("r1")).catch((e) => e);
    expect(missing).toBeInstanceOf(KintoHttpError);
    expect(missing.status).toBe(404);
  });

  it("refuses a record without attachment", async () => {
    const { coll } = await withFile(randomBytes(10));
    await firstValueFrom(coll.createRecord({ id: "plain" }));
    await expect(firstValueFrom(coll.downloadAttachment("plain"))).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});

describe("streamAttachment", () => {
  it("emits the chunks as they arrive, and completes only when the whole file matched", async () => {
    const bytes = randomBytes(1_000_000);
    const { coll } = await withFile(bytes);
    const chunks = await lastValueFrom(coll.streamAttachment("r1").pipe(toArray()));
    expect(chunks.length).toBeGreaterThan(1);
    expect(Buffer.concat(chunks).equals(bytes)).toBe(true);
  });

  it("errors at the end when the hash does not match", async () => {
    const bytes = randomBytes(100_000);
    const { coll, onDisk } = await withFile(bytes);
    const damaged = Buffer.from(bytes);
    damaged[99_999] ^= 1;
    writeFileSync(onDisk, damaged);
    let size = 0;
    const error = await new Promise<unknown>((ok) =>
      coll.streamAttachment("r1").subscribe({ next: (c) => (size += c.length), error: ok, complete: () => ok(null) }),
    );
    expect(error).toBeInstanceOf(AttachmentIntegrityError);
    expect(size).toBe(bytes.length);
  });
});
