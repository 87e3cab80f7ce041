/**
 * Command-line arguments of `kinto-rx`: parsed once into a typed command, or a {@link UsageError}.
 */

/** A bad command line; exit code 2. */
export class UsageError extends Error {
  /** @param message what is wrong */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Authentication from `--auth user:pass`, `--bearer token`, or KINTO_AUTH / KINTO_BEARER. */
export type Auth = { readonly kind: "basic"; readonly credentials: string } | { readonly kind: "bearer"; readonly token: string } | undefined;

/** Options shared by every command. */
export interface Common {
  /** Server root with version. */
  readonly server: string;
  /** Authentication. */
  readonly auth: Auth;
  /** Timeout per request in ms. */
  readonly timeout: number;
  /** Retries of transient failures. */
  readonly retry: number;
}

/** A parsed command line. */
export type Command =
  | { readonly name: "help" }
  | ({ readonly name: "info" } & Common)
  | ({ readonly name: "export"; readonly bucket: string; readonly collection: string; readonly since?: string } & Common)
  | ({ readonly name: "watch"; readonly bucket: string; readonly collection: string; readonly since?: string; readonly interval: number } & Common)
  | ({
      readonly name: "import";
      readonly bucket: string;
      readonly collection: string;
      readonly file: string;
      readonly concurrency: number;
      readonly chunkSize?: number;
      readonly progress: boolean;
    } & Common);

/** The help text. */
export const USAGE = `Usage:
  kinto-rx info   <server>
  kinto-rx export <server> <bucket>/<collection> [--since TIMESTAMP] > records.jsonl
  kinto-rx import <server> <bucket>/<collection> <file.jsonl> [--concurrency N] [--chunk-size N] [--no-progress]
  kinto-rx watch  <server> <bucket>/<collection> [--since TIMESTAMP] [--interval MS]

<server> is the Kinto root, e.g. http://127.0.0.1:8888/v1 (/v1 is added when missing).
Options: --auth user:pass (or KINTO_AUTH), --bearer TOKEN (or KINTO_BEARER),
         --timeout MS (default 30000), --retry N (default 5), --help
Exit codes: 0 done, 1 server error, 2 bad arguments, 3 server unreachable, 4 not authorized (401/403), 5 bad input file.`;

const VALUE_FLAGS = new Set(["--auth", "--bearer", "--since", "--interval", "--concurrency", "--chunk-size", "--timeout", "--retry"]);
const BOOLEAN_FLAGS = new Set(["--no-progress", "--help", "-h"]);

function positiveInt(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`${flag} expects a positive whole number, got "${value}".`);
  return Number(value);
}

function serverUrl(value: string | undefined): string {
  if (!value) throw new UsageError("Missing <server>.");
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`<server> is not a URL: "${value.replace(/\/\/[^/@]*@/, "//")}".`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new UsageError("<server> must be an http:// or https:// URL.");
  if (url.username || url.password) throw new UsageError("Put credentials in --auth or KINTO_AUTH, not in the URL.");
  const root = url.origin + url.pathname.replace(/\/$/, "");
  return /\/v\d+$/.test(root) ? root : `${root}/v1`;
}

function target(value: string | undefined): { bucket: string; collection: string } {
  const match = value ? /^([^/]+)\/([^/]+)$/.exec(value) : null;
  if (!match) throw new UsageError(`Expected <bucket>/<collection>, got ${value === undefined ? "nothing" : `"${value}"`}.`);
  return { bucket: match[1], collection: match[2] };
}

/**
 * Parses `argv` (without node and script) and the environment.
 * @throws UsageError on anything it cannot understand
 */
export function parseArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): Command {
  const flags = new Map<string, string>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [name, inline] = arg.startsWith("--") && arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    if (VALUE_FLAGS.has(name)) {
      const value = inline ?? argv[++i];
      if (value === undefined) throw new UsageError(`${name} expects a value.`);
      flags.set(name, value);
    } else if (BOOLEAN_FLAGS.has(name)) flags.set(name, "true");
    else if (arg.startsWith("-") && arg !== "-") throw new UsageError(`Unknown option ${name}.`);
    else positional.push(arg);
  }
  if (flags.has("--help") || flags.has("-h") || positional.length === 0) return { name: "help" };

  const [name, ...rest] = positional;
  const basic = flags.get("--auth") ?? env.KINTO_AUTH;
  const bearer = flags.get("--bearer") ?? env.KINTO_BEARER;
  if (basic !== undefined && !basic.includes(":")) throw new UsageError("--auth expects user:password.");
  const auth: Auth = bearer ? { kind: "bearer", token: bearer } : basic ? { kind: "basic", credentials: basic } : undefined;
  const common = (): Common => ({
    server: serverUrl(rest[0]),
    auth,
    timeout: positiveInt("--timeout", flags.get("--timeout"), 30_000),
    retry: flags.has("--retry") && flags.get("--retry") === "0" ? 0 : positiveInt("--retry", flags.get("--retry"), 5),
  });
  const expectArgs = (...names: string[]) => {
    if (rest.length !== names.length) throw new UsageError(`"${name}" expects ${names.join(" ")}, got ${rest.length} argument(s).`);
  };
  switch (name) {
    case "info":
      expectArgs("<server>");
      return { name, ...common() };
    case "export":
      expectArgs("<server>", "<bucket>/<collection>");
      return { name, ...common(), ...target(rest[1]), since: flags.get("--since") };
    case "watch":
      expectArgs("<server>", "<bucket>/<collection>");
      return { name, ...common(), ...target(rest[1]), since: flags.get("--since"), interval: positiveInt("--interval", flags.get("--interval"), 1000) };
    case "import":
      expectArgs("<server>", "<bucket>/<collection>", "<file.jsonl>");
      return {
        name,
        ...common(),
        ...target(rest[1]),
        file: rest[2],
        concurrency: positiveInt("--concurrency", flags.get("--concurrency"), 2),
        chunkSize: flags.has("--chunk-size") ? positiveInt("--chunk-size", flags.get("--chunk-size"), 25) : undefined,
        progress: !flags.has("--no-progress"),
      };
    default:
      throw new UsageError(`Unknown command "${name}".`);
  }
}

/** The Authorization header value of `auth`. */
export function authorization(auth: Auth): Record<string, string> {
  if (!auth) return {};
  return { Authorization: auth.kind === "bearer" ? `Bearer ${auth.token}` : `Basic ${Buffer.from(auth.credentials).toString("base64")}` };
}
