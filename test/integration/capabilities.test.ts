/**
 * Issue 15, finding 10 (first half): calls that need a server plugin fail with a
 * MissingCapabilityError naming it when the server lacks it, read from the shared server info.
 * Against a real Kinto started without kinto_attachment, the history plugin and the permissions
 * endpoint: test/kinto.ini with those lines changed (startKinto takes no other .ini). It runs on the
 * memory backend whatever KINTO_BACKEND says: capabilities do not depend on the backend.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { lastValueFrom } from "rxjs";
import { KintoClient, KintoHttpError, MissingCapabilityError } from "../../src";
import { freePort, heartbeat } from "../server/kinto-server";
import { AUTH, countingFetch, testClient, uniqueName } from "../helpers";

/** A Kinto with only the default_bucket and accounts plugins, and no permissions endpoint. */
async function bareKinto(): Promise<{ url: string; stop(): Promise<void> }> {
  const root = resolve(__dirname, "../..");
  const venv = process.env.KINTO_VENV ?? join(root, ".venv-kinto");
  const dir = mkdtempSync(join(tmpdir(), "kinto-rx-bare-"));
  const ini = readFileSync(join(root, "test/kinto.ini"), "utf8")
    .replace(
      /^kinto\.includes = [^]*?kinto_attachment\n/m,
      "kinto.includes = kinto.plugins.default_bucket\n                 kinto.plugins.accounts\n",
    )
    .replace("kinto.experimental_permissions_endpoint = true", "kinto.experimental_permissions_endpoint = false");
  writeFileSync(join(dir, "kinto.ini"), ini);
  const port = await freePort();
  const vars = {
    http_port: String(port),
    paginate_by: "10",
    attachment_path: join(dir, "a"),
    attachment_url: `http://127.0.0.1:${port}/a`,
  };
  const child = spawn(join(venv, "bin/pserve"), [join(dir, "kinto.ini"), ...Object.entries(vars).map(([k, v]) => `${k}=${v}`)], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let log = "";
  child.stderr?.on("data", (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)));
  const url = `http://127.0.0.1:${port}/v1`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await heartbeat(url, child, 30_000, () => log);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, stop };
}

let bare: { url: string; stop(): Promise<void> };
const BUCKET = uniqueName("caps");

beforeAll(async () => {
  bare = await bareKinto();
  const setup = new KintoClient(bare.url, { headers: { Authorization: AUTH } });
  await lastValueFrom(setup.createBucket(BUCKET));
  await lastValueFrom(setup.bucket(BUCKET).createCollection("c"));
}, 60_000);
afterAll(() => bare?.stop());

const client = (fetch?: typeof globalThis.fetch) => new KintoClient(bare.url, { headers: { Authorization: AUTH }, fetch });

describe("a server without the plugin", () => {
  it("the server really lacks them", async () => {
    const capabilities = await lastValueFrom(client().fetchServerCapabilities());
    expect(capabilities).toHaveProperty("accounts");
    expect(capabilities).not.toHaveProperty("attachments");
    expect(capabilities).not.toHaveProperty("history");
    expect(capabilities).not.toHaveProperty("permissions_endpoint");
  });

  it.each([
    [
      "attachments",
      (c: KintoClient) => c.bucket(BUCKET).collection("c").addAttachment("data:text/plain;name=a.txt;base64,SGk=", { id: "r1" }),
    ],
    ["attachments", (c: KintoClient) => c.bucket(BUCKET).collection("c").removeAttachment("r1")],
    ["history", (c: KintoClient) => c.bucket(BUCKET).listHistory()],
    ["history", (c: KintoClient) => c.bucket(BUCKET).collection("c").listRecords({ at: 1_700_000_000_000 })],
    ["permissions_endpoint", (c: KintoClient) => c.listPermissions()],
  ] as const)("a call needing %s fails with MissingCapabilityError", async (capability, call) => {
    const error = await lastValueFrom(call(client()) as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingCapabilityError);
    expect(error).toMatchObject({ capability, cause: { status: 404 } });
    expect(String(error)).toContain(`"${capability}" capability`);
  });

  it("the server info is fetched once per client, and not at all before the first 404", async () => {
    const counter = countingFetch();
    const c = client(counter.fetch);
    await lastValueFrom(c.bucket(BUCKET).listHistory()).catch(() => undefined);
    await lastValueFrom(c.listPermissions()).catch(() => undefined);
    expect(counter.urls.filter((u) => new URL(u).pathname === "/v1/").length).toBe(1);
    expect(counter.count()).toBe(3);
  });
});

describe("a server with the plugins", () => {
  it("a 404 of a missing record stays a KintoHttpError", async () => {
    const error = await lastValueFrom(testClient().bucket(uniqueName("none")).collection("c").removeAttachment("nope")).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(KintoHttpError);
    expect(error).not.toBeInstanceOf(MissingCapabilityError);
  });
});
