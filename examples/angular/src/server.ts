// The SSR server: Angular's engine renders the pages, the browser build's files are served as is.
// Listens on 127.0.0.1:$PORT (0: a free port) and prints "listening on <url>".
import { AngularNodeAppEngine, createNodeRequestHandler, isMainModule, writeResponseToNodeResponse } from "@angular/ssr/node";
import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, extname, join, normalize, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const browser = resolve(dirname(fileURLToPath(import.meta.url)), "../browser");
const TYPES: Record<string, string> = {
  ".js": "text/javascript",
  ".css": "text/css",
  ".html": "text/html; charset=utf-8",
  ".ico": "image/x-icon",
};
const engine = new AngularNodeAppEngine();

async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = normalize(decodeURIComponent(new URL(request.url ?? "/", "http://localhost").pathname));
  if (extname(path) !== "" && !path.includes("..")) {
    const file = await readFile(join(browser, path)).catch(() => undefined);
    if (file === undefined) response.writeHead(404).end();
    else response.writeHead(200, { "Content-Type": TYPES[extname(path)] ?? "application/octet-stream" }).end(file);
    return;
  }
  const rendered = await engine.handle(request);
  if (rendered) await writeResponseToNodeResponse(rendered, response);
  else response.writeHead(404).end();
}

/** The request handler, as Angular's dev server and builders expect it. */
export const reqHandler = createNodeRequestHandler(handle);

if (isMainModule(import.meta.url)) {
  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      console.error(error);
      if (!response.headersSent) response.writeHead(500);
      response.end();
    });
  });
  server.listen(Number(process.env["PORT"] ?? 0), "127.0.0.1", () => {
    console.log(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  });
}
