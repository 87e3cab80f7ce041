/**
 * HTTP(S)_PROXY for the command-line tool. Node's global fetch ignores the proxy variables, so a
 * proxied request is sent with node:http: to an `http://` server as an absolute URL to the proxy,
 * to an `https://` server through a `CONNECT` tunnel (TLS end to end). The client gets this as its
 * `fetch` option; requests that bypass the proxy go to the global fetch as before.
 *
 * Which variables: `https_proxy` / `HTTPS_PROXY` for https:// servers, `http_proxy` / `HTTP_PROXY`
 * for http:// ones, `all_proxy` / `ALL_PROXY` for both when those are unset (the lower-case name
 * wins, as in curl). `no_proxy` / `NO_PROXY`: a comma- or space-separated list of `*`, host names
 * (`example.com` also covers its subdomains; a leading `.` or `*.` is the same), IP addresses,
 * IPv4 ranges (`10.0.0.0/8`), each optionally with `:port`. Loopback servers (`localhost`,
 * `*.localhost`, `127.0.0.0/8`, `::1`) never go through a proxy: the proxy's loopback is not yours.
 * The proxy URL's `user:password@` is sent as `Proxy-Authorization: Basic` and never printed.
 */
import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from "node:http";
import { request as httpsRequest } from "node:https";
import { isIP } from "node:net";
import { connect as tlsConnect } from "node:tls";
import type { FetchInit, FetchLike, FetchResponse } from "../index";

/** A proxy: where it is (no credentials), and its `Proxy-Authorization`. */
export interface Proxy {
  /** `http://host:port`, without credentials: safe to print. */
  readonly origin: string;
  /** Host name or address. */
  readonly host: string;
  /** Port. */
  readonly port: number;
  /** `Basic …` from the URL's `user:password@`. */
  readonly authorization?: string;
}

/** A bad proxy variable (exit 2); its message never holds the variable's credentials. */
export class ProxyConfigError extends Error {
  /** @param message what is wrong */
  constructor(message: string) {
    super(message);
    this.name = "ProxyConfigError";
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/** The first of `names` (each lower case first, then upper case) that is set: its name and value. */
function pick(env: Env, ...names: string[]): { name: string; value: string } | undefined {
  for (const name of names.flatMap((n) => [n, n.toUpperCase()])) {
    const value = env[name];
    if (value) return { name, value };
  }
  return undefined;
}

/** Parses a proxy variable's value (`http://user:pass@host:port`, or `host:port` for http://). */
export function parseProxy(name: string, value: string): Proxy {
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`);
  } catch {
    throw new ProxyConfigError(`${name} is not a URL.`);
  }
  if (url.protocol !== "http:") throw new ProxyConfigError(`${name}: only http:// proxies are supported (got ${url.protocol}//).`);
  const port = url.port ? Number(url.port) : 80;
  const credentials = url.username || url.password ? `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}` : undefined;
  return {
    origin: `http://${url.host}`,
    host: url.hostname.replace(/^\[|\]$/g, ""),
    port,
    authorization: credentials ? `Basic ${Buffer.from(credentials).toString("base64")}` : undefined,
  };
}

function ipv4(address: string): number | undefined {
  const parts = address.split(".").map(Number);
  if (isIP(address) !== 4) return undefined;
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

function isLoopback(host: string): boolean {
  if (host === "localhost" || host.endsWith(".localhost") || host === "::1") return true;
  const v4 = ipv4(host);
  return v4 !== undefined && v4 >>> 24 === 127;
}

/** Whether one `no_proxy` entry covers `host:port`. */
function covers(entry: string, host: string, port: string): boolean {
  if (entry === "*") return true;
  let name = entry;
  let entryPort: string | undefined;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracket) [, name, entryPort] = bracket;
  else if (/^[^:]+:\d+$/.test(entry)) [name, entryPort] = entry.split(":");
  if (entryPort !== undefined && entryPort !== port) return false;
  const range = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(name);
  if (range) {
    const base = ipv4(range[1]);
    const bits = Number(range[2]);
    const address = ipv4(host);
    if (base === undefined || address === undefined || bits > 32) return false;
    const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
    return (base & mask) === (address & mask);
  }
  name = name.toLowerCase().replace(/^\*?\./, "");
  return host === name || (isIP(host) === 0 && host.endsWith(`.${name}`));
}

/** The proxy for `target` under `env`, or `undefined` when it goes direct. */
export function proxyFor(target: URL, env: Env): Proxy | undefined {
  const host = target.hostname.toLowerCase().replace(/^\[|\]$/g, "");
  if (isLoopback(host)) return undefined;
  const port = target.port || (target.protocol === "https:" ? "443" : "80");
  const bypass = (pick(env, "no_proxy")?.value ?? "").split(/[\s,]+/).filter(Boolean);
  if (bypass.some((entry) => covers(entry, host, port))) return undefined;
  const chosen = pick(env, target.protocol === "https:" ? "https_proxy" : "http_proxy") ?? pick(env, "all_proxy");
  return chosen ? parseProxy(chosen.name, chosen.value) : undefined;
}

/** What the transport reads, from a node:http response. */
function toFetchResponse(response: IncomingMessage): FetchResponse {
  return {
    status: response.statusCode ?? 0,
    headers: {
      get: (name) => {
        const value = response.headers[name.toLowerCase()];
        return value === undefined ? null : Array.isArray(value) ? value.join(", ") : value;
      },
    },
    body: response,
    text: async () => {
      let text = "";
      for await (const chunk of response) text += (chunk as Buffer).toString("utf8");
      return text;
    },
  };
}

/** The headers of a request to the target, through `proxy`. */
function targetHeaders(init: FetchInit, target: URL, body: Uint8Array | string | undefined): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = { ...init.headers, Host: target.host };
  if (body !== undefined) headers["Content-Length"] = Buffer.byteLength(body);
  return headers;
}

/** Sends `init` to `url` through `proxy`. */
function viaProxy(url: string, init: FetchInit, proxy: Proxy): Promise<FetchResponse> {
  const target = new URL(url);
  const body = init.body;
  const fail = (error: Error) =>
    Object.assign(new Error(`proxy ${proxy.origin}: ${error.message}`), { cause: { code: (error as NodeJS.ErrnoException).code } });
  return new Promise<FetchResponse>((resolve, reject) => {
    const auth = proxy.authorization ? { "Proxy-Authorization": proxy.authorization } : {};
    if (target.protocol === "http:") {
      const req = httpRequest({
        host: proxy.host,
        port: proxy.port,
        method: init.method,
        path: target.href,
        headers: { ...targetHeaders(init, target, body), ...auth },
        signal: init.signal,
      });
      req.on("response", (response) => resolve(toFetchResponse(response)));
      req.on("error", (error) => reject(fail(error)));
      req.end(body);
      return;
    }
    const port = target.port || "443";
    const tunnel = httpRequest({
      host: proxy.host,
      port: proxy.port,
      method: "CONNECT",
      path: `${target.hostname}:${port}`,
      headers: { Host: `${target.hostname}:${port}`, ...auth },
      signal: init.signal,
    });
    tunnel.on("error", (error) => reject(fail(error)));
    tunnel.on("connect", (answer, socket) => {
      // The proxy refused the tunnel (407, 403, 502...): its answer is the response.
      if (answer.statusCode !== 200) {
        socket.destroy();
        return resolve({
          status: answer.statusCode ?? 502,
          headers: { get: (name) => (name.toLowerCase() === "content-type" ? "text/plain" : null) },
          text: async () => "",
        });
      }
      const req = httpsRequest({
        host: target.hostname,
        port,
        method: init.method,
        path: target.pathname + target.search,
        headers: targetHeaders(init, target, body),
        signal: init.signal,
        // With createConnection and no agent, node uses this socket: TLS inside the tunnel.
        createConnection: () => tlsConnect({ socket, servername: isIP(target.hostname) ? undefined : target.hostname }),
      });
      req.on("response", (response) => resolve(toFetchResponse(response)));
      req.on("error", (error) => reject(error));
      req.end(body);
    });
    tunnel.end();
  });
}

/**
 * A fetch that honours the proxy variables of `env`, or `undefined` when none is set (the
 * client then uses its default fetch). Throws {@link ProxyConfigError} for a bad variable.
 */
export function proxyFetch(env: Env): FetchLike | undefined {
  const names = ["http_proxy", "https_proxy", "all_proxy"];
  if (!pick(env, ...names)) return undefined;
  // Checked at once, so that a bad variable is a usage error before anything is sent.
  for (const name of names) for (const key of [name, name.toUpperCase()]) if (env[key]) parseProxy(key, env[key]!);
  const direct: FetchLike = (input, init) => globalThis.fetch(input, init);
  return (input, init) => {
    const proxy = proxyFor(new URL(input), env);
    return proxy ? viaProxy(input, init, proxy) : direct(input, init);
  };
}
