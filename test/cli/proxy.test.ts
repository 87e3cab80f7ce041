/**
 * HTTP(S)_PROXY and NO_PROXY, against the real server through a forward proxy of the test's own on
 * 127.0.0.1 that counts what passes through it. The server is named `kinto.test`, a name only the
 * proxy resolves (to the real server): a request that reaches it went through the proxy.
 * HTTPS goes through a CONNECT tunnel to a TLS front of the test's own (a certificate made here).
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createTlsServer } from "node:https";
import { connect, type AddressInfo, type Socket } from "node:net";
import { join } from "node:path";
import { kintoUrl, raw, uniqueName } from "../helpers";
import { cli, collections, DIR, runMain, USER_PASS } from "./run-cli";

const BUCKET = uniqueName("cli-proxy");
const kinto = new URL(kintoUrl());
const SECRET = "s3cret-proxy-pw";

/** What the proxy saw. */
const seen = { requests: 0, connects: 0, authorizations: [] as (string | undefined)[] };
let requireAuth: string | undefined;
let proxy: Server;
let proxyPort: number;
let tls: Server;
let tlsPort: number;
let ca: string;

/** kinto.test → the real server (for plain HTTP); kinto.test:443 → the TLS front (for CONNECT). */
function forward(req: IncomingMessage, res: ServerResponse): void {
  seen.requests++;
  seen.authorizations.push(req.headers["proxy-authorization"]);
  if (requireAuth && req.headers["proxy-authorization"] !== requireAuth) {
    res.writeHead(407, { "Proxy-Authenticate": 'Basic realm="test"', "Content-Type": "text/html" }).end("<h1>407</h1>");
    return;
  }
  const target = new URL(req.url ?? "/");
  if (target.hostname !== "kinto.test") {
    res.writeHead(502).end();
    return;
  }
  const headers = { ...req.headers };
  delete headers["proxy-authorization"];
  const upstream = request(
    { host: kinto.hostname, port: kinto.port, method: req.method, path: target.pathname + target.search, headers },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on("error", () => res.writeHead(502).end());
  req.pipe(upstream);
}

function tunnel(req: IncomingMessage, client: Socket, head: Buffer): void {
  seen.connects++;
  seen.authorizations.push(req.headers["proxy-authorization"]);
  if (req.url !== "kinto.test:443") {
    client.end("HTTP/1.1 502 Bad Gateway\r\n\r\n");
    return;
  }
  const upstream = connect(tlsPort, "127.0.0.1", () => {
    client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
    upstream.write(head);
    upstream.pipe(client);
    client.pipe(upstream);
  });
  upstream.on("error", () => client.destroy());
  client.on("error", () => upstream.destroy());
}

const sockets = new Set<Socket>();
const listen = (server: Server) => {
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  return new Promise<number>((ok) => server.listen(0, "127.0.0.1", () => ok((server.address() as AddressInfo).port)));
};

beforeAll(async () => {
  await collections(BUCKET, "notes");
  for (const id of ["n1", "n2", "n3"])
    expect((await raw("PUT", `/buckets/${BUCKET}/collections/notes/records/${id}`, { data: { text: id } })).status).toBe(201);
  proxy = createServer(forward);
  proxy.on("connect", tunnel);
  proxyPort = await listen(proxy);
  // A TLS front for kinto.test, with a certificate of its own that the CLI is told to trust.
  const key = join(DIR, "kinto-test.key");
  ca = join(DIR, "kinto-test.pem");
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      key,
      "-out",
      ca,
      "-days",
      "1",
      "-subj",
      "/CN=kinto.test",
      "-addext",
      "subjectAltName=DNS:kinto.test",
    ],
    { stdio: "ignore" },
  );
  tls = createTlsServer({ key: readFileSync(key), cert: readFileSync(ca) }, (req, res) => {
    const upstream = request(
      { host: kinto.hostname, port: kinto.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    req.pipe(upstream);
  }) as unknown as Server;
  tlsPort = await listen(tls);
});

afterAll(async () => {
  // Idle keep-alive connections and tunnels would hold close() open: they go first.
  for (const socket of sockets) socket.destroy();
  for (const server of [proxy, tls]) await new Promise((ok) => server?.close(ok));
});

beforeEach(() => {
  seen.requests = 0;
  seen.connects = 0;
  seen.authorizations = [];
  requireAuth = undefined;
});

const viaName = `http://kinto.test:${kinto.port}/v1`;
const proxyUrl = (credentials = `alice:${SECRET}`) => `http://${credentials}@127.0.0.1:${proxyPort}`;
const ids = (out: string) =>
  out
    .trim()
    .split("\n")
    .map((l) => (JSON.parse(l) as { id: string }).id)
    .sort();

describe("HTTP_PROXY", () => {
  it("every request of the command goes through the proxy, with the proxy's credentials as Proxy-Authorization", async () => {
    requireAuth = "Basic " + Buffer.from(`alice:${SECRET}`).toString("base64");
    const run = await runMain(["export", viaName, `${BUCKET}/notes`], { env: { KINTO_AUTH: USER_PASS, HTTP_PROXY: proxyUrl() } });
    expect(run).toMatchObject({ code: 0, err: "" });
    expect(ids(run.out)).toEqual(["n1", "n2", "n3"]);
    expect(seen.requests).toBeGreaterThanOrEqual(2); // the root document, the records
    expect(new Set(seen.authorizations)).toEqual(new Set([requireAuth]));
  });

  it("writes go through it too: an import is on the server afterwards", async () => {
    await collections(BUCKET, "imported");
    const file = join(DIR, "proxy-import.jsonl");
    writeFileSync(file, '{"id":"p1","v":1}\n{"id":"p2","v":2}\n');
    const run = await runMain(["import", viaName, `${BUCKET}/imported`, file, "--quiet"], {
      env: { KINTO_AUTH: USER_PASS, http_proxy: proxyUrl() },
    });
    expect(run.code).toBe(0);
    expect(seen.requests).toBeGreaterThanOrEqual(3);
    const listed = await raw("GET", `/buckets/${BUCKET}/collections/imported/records?_sort=id`);
    expect((listed.json.data as { id: string; v: number }[]).map((r) => [r.id, r.v])).toEqual([
      ["p1", 1],
      ["p2", 2],
    ]);
  });

  it("a loopback server is never proxied (the proxy's 127.0.0.1 is not ours)", async () => {
    const run = await runMain(["export", kintoUrl(), `${BUCKET}/notes`], { env: { KINTO_AUTH: USER_PASS, HTTP_PROXY: proxyUrl() } });
    expect(run.code).toBe(0);
    expect(ids(run.out)).toEqual(["n1", "n2", "n3"]);
    expect(seen.requests).toBe(0);
  });

  it("NO_PROXY bypasses it: by name, by subdomain, by *; an entry for another port does not", async () => {
    for (const noProxy of ["kinto.test", ".test", "other.example, kinto.test", "*"]) {
      const run = await runMain(["info", viaName, "--retry", "0"], {
        env: { KINTO_AUTH: USER_PASS, HTTP_PROXY: proxyUrl(), NO_PROXY: noProxy },
      });
      // Straight to kinto.test, a name nothing resolves: unreachable, and the proxy saw nothing.
      expect(run.code).toBe(3);
      expect(run.err).toContain("kinto.test");
    }
    expect(seen.requests).toBe(0);
    const otherPort = await runMain(["info", viaName], {
      env: { KINTO_AUTH: USER_PASS, HTTP_PROXY: proxyUrl(), no_proxy: "kinto.test:1" },
    });
    expect(otherPort.code).toBe(0);
    expect(seen.requests).toBeGreaterThanOrEqual(1);
  });

  it("credentials the proxy refuses: exit 4, saying so, and the password is never printed", async () => {
    requireAuth = "Basic " + Buffer.from("alice:the-right-one").toString("base64");
    const run = await runMain(["export", viaName, `${BUCKET}/notes`], { env: { KINTO_AUTH: USER_PASS, HTTP_PROXY: proxyUrl() } });
    expect(run.code).toBe(4);
    expect(run.err).toContain("Proxy authentication required (HTTP 407");
    expect(run.out + run.err).not.toContain(SECRET);
  });

  it("a proxy that is down: exit 3, naming the proxy without its credentials", async () => {
    const down = createServer();
    const port = await listen(down);
    await new Promise((ok) => down.close(ok));
    const run = await runMain(["info", viaName, "--retry", "0"], {
      env: { KINTO_AUTH: USER_PASS, HTTP_PROXY: `http://alice:${SECRET}@127.0.0.1:${port}` },
    });
    expect(run.code).toBe(3);
    expect(run.err).toContain(`proxy http://127.0.0.1:${port}`);
    expect(run.err).toContain("ECONNREFUSED");
    expect(run.out + run.err).not.toContain(SECRET);
    expect(run.err).not.toContain("alice");
  });

  it("a proxy variable that is not an http:// URL is a usage error (exit 2), without echoing it", async () => {
    const run = await runMain(["info", viaName], { env: { HTTPS_PROXY: `socks5://bob:${SECRET}@127.0.0.1:1080` } });
    expect(run.code).toBe(2);
    expect(run.err).toContain("HTTPS_PROXY: only http:// proxies are supported");
    expect(run.err).not.toContain(SECRET);
  });
});

describe("HTTPS_PROXY", () => {
  it("an https:// server is reached through a CONNECT tunnel, TLS end to end (the built binary)", async () => {
    requireAuth = undefined;
    const env = { KINTO_AUTH: USER_PASS, HTTPS_PROXY: proxyUrl(), HTTP_PROXY: "http://127.0.0.1:1", NODE_EXTRA_CA_CERTS: ca };
    const run = await cli(["export", "https://kinto.test/v1", `${BUCKET}/notes`], { env });
    expect(run).toMatchObject({ code: 0, err: "" });
    expect(ids(run.out)).toEqual(["n1", "n2", "n3"]);
    expect(seen.connects).toBeGreaterThanOrEqual(1);
    expect(seen.requests).toBe(0); // no plain request: the proxy only relayed bytes it cannot read
    expect(seen.authorizations[0]).toBe("Basic " + Buffer.from(`alice:${SECRET}`).toString("base64"));
  });
});
