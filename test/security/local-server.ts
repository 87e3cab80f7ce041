/**
 * A tiny local HTTP server for the security tests: answers with a handler and records every request
 * it receives (method, URL, headers, body), so a test can assert what reached it, or that nothing did.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One request received by a {@link LocalServer}. */
export interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A running local server. */
export interface LocalServer {
  /** `http://127.0.0.1:<port>` (no path). */
  readonly origin: string;
  /** `origin + "/v1"`. */
  readonly url: string;
  /** Every request received, in order. */
  readonly received: Received[];
  /** Stops the server, dropping open connections. */
  close(): Promise<void>;
}

/** A handler: answers `req` (whose body is already read into `body`). */
export type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

/** Starts a server on a free port of 127.0.0.1. */
export async function localServer(handler: Handler = (_req, res) => sendJson(res, 200, {})): Promise<LocalServer> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      received.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      handler(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    url: `${origin}/v1`,
    received,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** Answers `body` as JSON (a string is sent as is, e.g. invalid JSON). */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}
