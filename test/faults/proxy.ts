/**
 * A small fault-injecting HTTP proxy for resilience tests.
 *
 * It listens on 127.0.0.1 (on a free port) and forwards every request to an
 * upstream Kinto server. A seeded pseudo-random schedule decides, request by
 * request, whether a fault is injected, so a failing run can be replayed from
 * its seed. Only Node's `http` module is used.
 */
import * as http from "http";
import type { AddressInfo, Socket } from "net";

/**
 * A fault the proxy can inject into one request/response exchange:
 * - `none`: forward untouched;
 * - `503`: answer a Kinto-style 503 with `Retry-After`, without forwarding;
 * - `409`: answer a Kinto-style 409 (errno 122) with `Retry-After`, without forwarding (a busy
 *   backend: "the transaction could not be committed, come back later");
 * - `reset-before`: destroy the client socket without forwarding;
 * - `reset-after`: forward, wait for the full upstream response (committed), then destroy the client socket;
 * - `delay`: wait `delayMs` before forwarding; if the client gives up meanwhile, count it and do not forward;
 * - `truncate`: forward, send status + headers (original Content-Length) but half the body, then destroy the socket;
 * - `invalid-json`: forward, then answer 200 with the body `{"data": [`;
 * - `backoff`: forward and add a `Backoff` header to the upstream response.
 */
export type Fault = "none" | "503" | "409" | "reset-before" | "reset-after" | "delay" | "truncate" | "invalid-json" | "backoff";

/** Every fault, in declaration order. */
export const ALL_FAULTS: readonly Fault[] = [
  "none",
  "503",
  "reset-before",
  "reset-after",
  "delay",
  "truncate",
  "invalid-json",
  "backoff",
  "409",
];

/** Options of {@link startFaultProxy}. */
export interface ProxyOptions {
  /** Upstream origin, e.g. `"http://127.0.0.1:8899"`. */
  upstream: string;
  /** Seed of the PRNG driving the random schedule (default 1). */
  seed?: number;
  /** Probability that an eligible request gets a fault (default 0). */
  rate?: number;
  /** Faults the random schedule draws from, uniformly (default: all but `"none"`, `"delay"` and `"409"`). */
  faults?: Fault[];
  /** Wait of the `"delay"` fault, in ms (default 5000). */
  delayMs?: number;
  /** `Retry-After` value of the `"503"` and `"409"` faults (default `"1"`). */
  retryAfter?: string;
  /** `Backoff` value of the `"backoff"` fault, in seconds (default 1). */
  backoffSeconds?: number;
  /** Only requests for which it returns true may be faulted (default: all). */
  filter?: (req: { method: string; url: string }) => boolean;
}

/** Counters and the per-request log, for assertions. */
export interface ProxyStats {
  /** Requests received. */
  requests: number;
  /** Requests sent upstream. */
  forwarded: number;
  /** Requests per applied fault (`"none"` included). */
  faults: Record<Fault, number>;
  /** Clients that closed their socket during a `"delay"` wait. */
  clientAborts: number;
  /** Every request received, in arrival order, with the fault it got and its arrival time (ms since epoch). */
  log: { method: string; url: string; fault: Fault; at: number }[];
}

/** A running proxy. */
export interface FaultProxy {
  /** Base URL of the proxy, `"http://127.0.0.1:<port>"`. */
  url: string;
  stats: ProxyStats;
  /** Changes the fault probability of the random schedule. */
  setRate(rate: number): void;
  /** Forces the next eligible requests to get these faults, in order; the random schedule then resumes (forced requests draw nothing from it). */
  next(...faults: Fault[]): void;
  /** Stops listening, cancels pending delays and destroys every open socket. */
  close(): Promise<void>;
}

/** The mulberry32 seeded PRNG: returns a generator of floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade"]);

/** Copies upstream response headers, minus hop-by-hop ones, with `Connection: close`. */
function copyHeaders(up: http.IncomingMessage): http.OutgoingHttpHeaders {
  const headers: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(up.headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
  }
  headers.connection = "close";
  return headers;
}

/** Reads a whole stream into one buffer. */
function readAll(stream: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("end", () => resolve(Buffer.concat(chunks)));
    stream.on("error", reject);
  });
}

/** Starts a proxy to `options.upstream` on a free port of 127.0.0.1. */
export async function startFaultProxy(options: ProxyOptions): Promise<FaultProxy> {
  const upstream = new URL(options.upstream);
  const rng = mulberry32(options.seed ?? 1);
  const pool = options.faults ?? ALL_FAULTS.filter((f) => f !== "none" && f !== "delay" && f !== "409");
  const delayMs = options.delayMs ?? 5000;
  const filter = options.filter ?? (() => true);
  let rate = options.rate ?? 0;
  const forced: Fault[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const agent = new http.Agent({ keepAlive: false });
  const faults = Object.fromEntries(ALL_FAULTS.map((f) => [f, 0])) as Record<Fault, number>;
  const stats: ProxyStats = { requests: 0, forwarded: 0, faults, clientAborts: 0, log: [] };

  /** Picks the fault of one request: forced queue first, then two PRNG draws per eligible request. */
  function choose(method: string, url: string): Fault {
    if (!filter({ method, url })) return "none";
    const first = forced.shift();
    if (first !== undefined) return first;
    const hit = rng() < rate;
    const pick = rng();
    return hit && pool.length > 0 ? pool[Math.floor(pick * pool.length)] : "none";
  }

  /** Sends the request upstream (streaming its body) and hands the response to `onResponse`. */
  function forward(req: http.IncomingMessage, res: http.ServerResponse, onResponse: (up: http.IncomingMessage) => void): void {
    stats.forwarded++;
    const upReq = http.request({
      agent,
      protocol: upstream.protocol,
      hostname: upstream.hostname,
      port: upstream.port,
      method: req.method,
      path: req.url,
      headers: { ...req.headers, host: upstream.host, connection: "close" },
    });
    upReq.on("response", onResponse);
    upReq.on("error", () => {
      if (res.headersSent) res.destroy();
      else res.writeHead(502, { "content-type": "application/json", connection: "close" }).end('{"code":502,"error":"Bad Gateway"}');
    });
    res.on("close", () => {
      if (!res.writableFinished) upReq.destroy();
    });
    req.pipe(upReq);
  }

  /** Relays an upstream response, optionally with extra headers. */
  function relay(res: http.ServerResponse, extra: http.OutgoingHttpHeaders = {}) {
    return (up: http.IncomingMessage) => {
      res.writeHead(up.statusCode ?? 502, { ...copyHeaders(up), ...extra });
      up.pipe(res);
    };
  }

  function handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const method = req.method ?? "GET";
    const url = req.url ?? "/";
    const fault = choose(method, url);
    stats.requests++;
    stats.faults[fault]++;
    stats.log.push({ method, url, fault, at: Date.now() });
    switch (fault) {
      case "none":
        return forward(req, res, relay(res));
      case "backoff":
        return forward(req, res, relay(res, { backoff: String(options.backoffSeconds ?? 1) }));
      case "503":
      case "409": {
        const body = JSON.stringify(
          fault === "503"
            ? { code: 503, errno: 201, error: "Service Unavailable", message: "injected" }
            : { code: 409, errno: 122, error: "Conflict", message: "injected" },
        );
        res.writeHead(Number(fault), {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(body),
          "retry-after": options.retryAfter ?? "1",
          connection: "close",
        });
        res.end(body);
        return;
      }
      case "reset-before":
        req.socket.destroy();
        return;
      case "reset-after":
        return forward(req, res, (up) => {
          readAll(up).then(
            () => req.socket.destroy(),
            () => req.socket.destroy(),
          );
        });
      case "invalid-json":
        return forward(req, res, (up) => {
          const body = '{"data": [';
          const send = () => {
            res.writeHead(200, { "content-type": "application/json", "content-length": body.length, connection: "close" });
            res.end(body);
          };
          readAll(up).then(send, () => res.destroy());
        });
      case "truncate":
        return forward(req, res, (up) => {
          readAll(up).then(
            (body) => {
              const headers = copyHeaders(up);
              headers["content-length"] ??= body.length;
              res.writeHead(up.statusCode ?? 200, headers);
              res.flushHeaders();
              res.write(body.subarray(0, Math.floor(body.length / 2)), () => req.socket.destroy());
            },
            () => res.destroy(),
          );
        });
      case "delay": {
        const onClose = () => {
          stats.clientAborts++;
          clearTimeout(timer);
          timers.delete(timer);
        };
        const timer = setTimeout(() => {
          timers.delete(timer);
          res.off("close", onClose);
          forward(req, res, relay(res));
        }, delayMs);
        timers.add(timer);
        res.once("close", onClose);
        return;
      }
    }
  }

  const server = http.createServer(handle);
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    setRate(r: number) {
      rate = r;
    },
    next(...f: Fault[]) {
      forced.push(...f);
    },
    close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      agent.destroy();
      return closed;
    },
  };
}
