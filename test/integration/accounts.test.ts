/**
 * Accounts (accounts plugin) and raw requests (`client.request`) against the real server. The
 * administrator and `__flush__` tests run on a server of their own: `account:admin` is a fixed
 * principal, and a flush would wipe the data of the test files running alongside.
 */
import * as t from "io-ts";
import { firstValueFrom, lastValueFrom } from "rxjs";
import { InvalidArgumentError, KintoClient, KintoHttpError, MissingCapabilityError, PayloadValidationError, allRecords } from "../../src";
import { startKinto, type KintoServer } from "../server/kinto-server";
import { AUTH, countingFetch, kintoUrl, raw, testClient, uniqueName } from "../helpers";

const basic = (user: string, password: string) => "Basic " + Buffer.from(`${user}:${password}`).toString("base64");

/** Who the server says `authorization` is (GET / with it), without going through kinto-rx. */
async function whoIs(url: string, authorization: string): Promise<string | undefined> {
  const response = await fetch(`${url}/`, { headers: { Authorization: authorization } });
  return ((await response.json()) as { user?: { id: string } }).user?.id;
}

describe("accounts", () => {
  it("createAccount creates an account the server then authenticates", async () => {
    const name = uniqueName("alice");
    const client = new KintoClient(kintoUrl());
    const { data } = await firstValueFrom(client.createAccount(name, "first-passw0rd"));
    expect(data.id).toBe(name);
    expect(data.password).not.toBe("first-passw0rd"); // the server keeps a hash
    expect(await whoIs(kintoUrl(), basic(name, "first-passw0rd"))).toBe(`account:${name}`);
  });

  it("createAccount with safe refuses an existing account (412) and leaves its password", async () => {
    const name = uniqueName("bob");
    await firstValueFrom(new KintoClient(kintoUrl()).createAccount(name, "bob-passw0rd"));
    const own = new KintoClient(kintoUrl(), { headers: { Authorization: basic(name, "bob-passw0rd") } });
    const error = await firstValueFrom(own.createAccount(name, "other-passw0rd", { safe: true })).catch((e) => e);
    expect(error).toBeInstanceOf(KintoHttpError);
    expect((error as KintoHttpError).status).toBe(412);
    expect(`${error.message} ${JSON.stringify(error)} ${error.stack}`).not.toContain("other-passw0rd");
    expect(await whoIs(kintoUrl(), basic(name, "bob-passw0rd"))).toBe(`account:${name}`);
  });

  it("updateAccountPassword changes the password: the old one no longer authenticates the account", async () => {
    const name = uniqueName("carol");
    await firstValueFrom(new KintoClient(kintoUrl()).createAccount(name, "old-passw0rd"));
    const client = new KintoClient(kintoUrl(), { headers: { Authorization: basic(name, "old-passw0rd") } });
    const { data } = await firstValueFrom(client.updateAccountPassword(name, "new-passw0rd"));
    expect(data.id).toBe(name);
    expect(await whoIs(kintoUrl(), basic(name, "new-passw0rd"))).toBe(`account:${name}`);
    // The server also has basicauth: wrong account credentials authenticate someone else.
    expect(await whoIs(kintoUrl(), basic(name, "old-passw0rd"))).not.toBe(`account:${name}`);
    client.setHeaders({ Authorization: basic(name, "new-passw0rd") });
    expect((await firstValueFrom(client.getAccount(name))).data.id).toBe(name);
  });

  it("deleteAccount deletes it; listAccounts shows a user only its own account", async () => {
    const name = uniqueName("dave");
    const anonymous = new KintoClient(kintoUrl());
    await firstValueFrom(anonymous.createAccount(name, "dave-passw0rd"));
    await firstValueFrom(anonymous.createAccount(uniqueName("someone"), "else-passw0rd"));
    const client = new KintoClient(kintoUrl(), { headers: { Authorization: basic(name, "dave-passw0rd") } });
    const listed = await lastValueFrom(client.listAccounts({ pages: Infinity }).pipe(allRecords()));
    expect(listed.map((a) => a.id)).toEqual([name]);
    const { data } = await firstValueFrom(client.deleteAccount(name));
    expect(data).toMatchObject({ id: name, deleted: true });
    expect(await whoIs(kintoUrl(), basic(name, "dave-passw0rd"))).not.toBe(`account:${name}`);
  });

  it("refuses an empty password or a bad id before sending anything", async () => {
    const counter = countingFetch();
    const client = new KintoClient(kintoUrl(), { fetch: counter.fetch });
    await firstValueFrom(client.fetchServerInfo());
    await expect(firstValueFrom(client.createAccount("erin", ""))).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(firstValueFrom(client.createAccount("..", "passw0rd-ok"))).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(counter.count()).toBe(1); // the server info only
  });
});

describe("client.request: any endpoint through the client's chain", () => {
  it("sends the client's headers, validates with a codec, and emits status and headers", async () => {
    const bid = uniqueName("rawreq");
    const client = testClient();
    const created = await firstValueFrom(
      client.request(
        { method: "PUT", path: `/buckets/${bid}`, body: { data: { title: "raw" } } },
        { codec: t.type({ data: t.type({ id: t.string, title: t.string }) }) },
      ),
    );
    expect(created.status).toBe(201);
    expect(created.json.data).toMatchObject({ id: bid, title: "raw" });
    expect((await raw("GET", `/buckets/${bid}`)).json.data.title).toBe("raw");

    const head = await firstValueFrom(client.request({ method: "HEAD", path: `/buckets/${bid}/collections` }));
    expect(head.headers.get("ETag")).toMatch(/^"\d+"$/);
    expect(head.json).toBeUndefined();

    const listed = await firstValueFrom(client.request({ method: "GET", path: "/buckets", query: { _limit: 1, id: bid } }));
    expect((listed.json as { data: { id: string }[] }).data.map((b) => b.id)).toEqual([bid]);
  });

  it("fails with typed errors: a payload that does not match the codec names its JSON path; a 404 has no credential", async () => {
    const client = testClient();
    const invalid = await firstValueFrom(client.request({ method: "GET", path: "/" }, { codec: t.type({ project_name: t.number }) })).catch(
      (e) => e,
    );
    expect(invalid).toBeInstanceOf(PayloadValidationError);
    expect((invalid as PayloadValidationError).issues[0].path).toBe("$.project_name");
    const missing = await firstValueFrom(client.request({ method: "GET", path: `/buckets/${uniqueName("nope")}` })).catch((e) => e);
    expect(missing).toBeInstanceOf(KintoHttpError);
    expect([401, 403, 404]).toContain((missing as KintoHttpError).status);
    const secret = AUTH.split(" ")[1];
    expect(`${missing.message} ${JSON.stringify(missing)} ${missing.stack}`).not.toContain(secret);
  });

  it("refuses a bad request before sending anything", async () => {
    const counter = countingFetch();
    const client = testClient({ fetch: counter.fetch });
    const bad = [
      { method: "GET", path: "buckets" },
      { method: "GET", path: "/buckets?_limit=1" },
      { method: "GET", path: "/buckets/../__flush__" },
      { method: "GET", path: "/buckets/%2E%2E/x" },
      { method: "GET", path: "/buckets//x" },
      { method: "GET", path: "/buckets/a b" },
      { method: "TRACE", path: "/" },
    ];
    for (const request of bad) {
      await expect(firstValueFrom(client.request(request as never))).rejects.toBeInstanceOf(InvalidArgumentError);
    }
    expect(counter.count()).toBe(0);
  });

  it("retries a transient failure of an idempotent request, as every call does", async () => {
    let failures = 1;
    const flaky = ((url: string, init: RequestInit) =>
      failures-- > 0 ? Promise.reject(new TypeError("fetch failed (injected)")) : fetch(url, init)) as typeof fetch;
    const client = testClient({ fetch: flaky, retry: 1, retryPolicy: { baseDelay: 1 } });
    const { status } = await firstValueFrom(client.request({ method: "GET", path: "/" }));
    expect(status).toBe(200);
    expect(failures).toBe(-1);
  });
});

describe("on a server of its own: an administrator and __flush__", () => {
  let server: KintoServer;
  beforeAll(async () => {
    // Listing every account needs read on them too (test/kinto.ini grants only write).
    server = await startKinto({ settings: { "kinto.account_read_principals": "account:admin" } });
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });

  it("an administrator lists every account", async () => {
    await firstValueFrom(new KintoClient(server.url).createAccount("admin", "admin-passw0rd"));
    const admin = new KintoClient(server.url, { headers: { Authorization: basic("admin", "admin-passw0rd") } });
    const names = [uniqueName("u1"), uniqueName("u2")];
    for (const name of names) await firstValueFrom(new KintoClient(server.url).createAccount(name, "user-passw0rd"));
    const listed = await lastValueFrom(admin.listAccounts({ pages: Infinity }).pipe(allRecords()));
    expect(listed.map((a) => a.id).sort()).toEqual(["admin", ...names].sort());
    // ...and may delete another's account.
    await firstValueFrom(admin.deleteAccount(names[0]));
    expect(await whoIs(server.url, basic(names[0], "user-passw0rd"))).not.toBe(`account:${names[0]}`);
  });

  it("POST /__flush__ through client.request empties the server", async () => {
    const client = new KintoClient(server.url, { headers: { Authorization: AUTH } });
    await firstValueFrom(client.createBucket("doomed"));
    const { status } = await firstValueFrom(client.request({ method: "POST", path: "/__flush__" }));
    expect(status).toBe(202);
    const after = await fetch(`${server.url}/buckets/doomed`, { headers: { Authorization: AUTH } });
    expect([403, 404]).toContain(after.status);
  });
});

describe("a server without the accounts plugin", () => {
  it("gives a MissingCapabilityError naming the plugin, and sends no account request", async () => {
    // The real server's root answer, without its accounts capability (as a server without the plugin).
    const counter = countingFetch();
    const withoutAccounts = (async (url: string, init: RequestInit) => {
      const response = await counter.fetch(url, init);
      if (new URL(url).pathname !== "/v1/") return response;
      const info = (await response.json()) as { capabilities: Record<string, unknown> };
      delete info.capabilities.accounts;
      return new Response(JSON.stringify(info), { status: response.status, headers: response.headers });
    }) as typeof fetch;
    const client = new KintoClient(kintoUrl(), { fetch: withoutAccounts });
    const error = await firstValueFrom(client.createAccount(uniqueName("frank"), "frank-passw0rd")).catch((e) => e);
    expect(error).toBeInstanceOf(MissingCapabilityError);
    expect((error as MissingCapabilityError).capability).toBe("accounts");
    expect(counter.urls.map((u) => new URL(u).pathname)).toEqual(["/v1/"]);
  });
});
