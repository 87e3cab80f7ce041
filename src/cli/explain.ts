/**
 * What a failure means for the user, and its exit code. Every message about the server names it
 * (a wrong URL and a missing bucket must not read alike); no credential is ever printed.
 */
import {
  KintoHttpError,
  NetworkError,
  NetworkTimeoutError,
  PayloadValidationError,
  RetryAfterTooLongError,
  UnparseableResponseError,
  type RequestSummary,
} from "../index";
import { UsageError } from "./args";
import { usage } from "./help";
import { InputErrors } from "./jsonl";
import { ProxyConfigError } from "./proxy";
import { Stopped } from "./stop";

/** Exit codes (the help lists them). */
export const EXIT = { ok: 0, server: 1, usage: 2, unreachable: 3, auth: 4, input: 5, conflict: 6 } as const;

/** A failure the CLI itself found, with its exit code and message. */
export class CliError extends Error {
  /** @param code exit code @param message what to tell the user */
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = "CliError";
  }
}

/** What is known of the run when it failed. */
export interface FailureContext {
  /** The server root. */
  readonly server?: string;
  /** Whether credentials were given. */
  readonly authenticated?: boolean;
  /** The principal the server saw (`account:alice`, `basicauth:...`), once known. */
  readonly user?: string;
}

function where(request: RequestSummary, context: FailureContext): string {
  return `${request.method} ${context.server ?? ""}${request.path}`;
}

function httpError(error: KintoHttpError, context: FailureContext): { code: number; message: string } {
  const on = `HTTP ${error.status} on ${where(error.request, context)}`;
  const said = error.serverMessage ? `: ${error.serverMessage}` : "";
  if (error.status === 401) {
    const hint = context.authenticated
      ? "the server refused these credentials; check --auth / --bearer"
      : "no credentials were given; pass --auth or --bearer";
    return { code: EXIT.auth, message: `Not authorized (${on}): ${hint}.` };
  }
  if (error.status === 403) {
    const who = context.user ? `user ${context.user}` : context.authenticated ? "these credentials" : "an anonymous request";
    return {
      code: EXIT.auth,
      message: `Forbidden (${on}): ${who} may not do this, or what it names does not exist (Kinto does not tell which without permission). Check the names, and --auth / --bearer.`,
    };
  }
  if (error.status === 407) {
    return {
      code: EXIT.auth,
      message: `Proxy authentication required (${on}): the proxy refused the credentials of HTTPS_PROXY / HTTP_PROXY (user:password@ in its URL).`,
    };
  }
  if (error.status === 404) {
    const root = error.request.path === "/" || error.request.path === "";
    return { code: EXIT.server, message: root ? `No Kinto API at ${context.server} (${on}): check the URL.` : `Not found (${on})${said}.` };
  }
  return { code: EXIT.server, message: `Server error (${on})${said}.` };
}

/** The exit code and message of `error`. */
export function explain(error: unknown, context: FailureContext = {}): { code: number; message: string } {
  if (error instanceof Stopped) return { code: error.exitCode, message: error.message };
  if (error instanceof CliError) return { code: error.code, message: error.message };
  if (error instanceof UsageError) return { code: EXIT.usage, message: `${error.message}\n\n${usage(error.command)}` };
  if (error instanceof ProxyConfigError) return { code: EXIT.usage, message: error.message };
  if (error instanceof InputErrors) return { code: EXIT.input, message: `${error.message}\nNothing was sent.` };
  if (error instanceof KintoHttpError) return httpError(error, context);
  if (error instanceof NetworkTimeoutError) {
    return {
      code: EXIT.unreachable,
      message: `Server unreachable: no answer within ${error.timeout} ms (${where(error.request, context)}).`,
    };
  }
  if (error instanceof NetworkError)
    return { code: EXIT.unreachable, message: `Server unreachable: ${error.reason} (${where(error.request, context)}).` };
  if (
    error instanceof UnparseableResponseError ||
    (error instanceof PayloadValidationError && /ServerInfo|server info|root/i.test(error.context))
  ) {
    return { code: EXIT.server, message: `${context.server ?? "The server"} does not look like a Kinto server: ${error.message}` };
  }
  if (error instanceof RetryAfterTooLongError)
    return { code: EXIT.unreachable, message: `${context.server ?? "The server"} is overloaded: ${error.message}.` };
  const code = error instanceof Error && "code" in error ? (error as NodeJS.ErrnoException).code : undefined;
  if (code === "ENOENT" || code === "EISDIR" || code === "EACCES") {
    const reason = { ENOENT: "no such file", EISDIR: "it is a directory", EACCES: "permission denied" }[code];
    return { code: EXIT.input, message: `Cannot read ${(error as NodeJS.ErrnoException).path ?? "the input file"}: ${reason}.` };
  }
  return { code: EXIT.server, message: error instanceof Error ? error.message : String(error) };
}
