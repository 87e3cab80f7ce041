/**
 * Command-line arguments of `kinto-rx`: parsed once into a typed command, or a {@link UsageError}.
 * Every default lives in {@link DEFAULTS}, which the help text prints.
 */

/** A bad command line; exit code 2. */
export class UsageError extends Error {
  /**
   * @param message what is wrong
   * @param command the command whose usage to show (all of them when unset)
   */
  constructor(
    message: string,
    readonly command?: CommandName,
  ) {
    super(message);
    this.name = "UsageError";
  }
}

/** Authentication from `--auth user:pass`, `--bearer token`, or KINTO_AUTH / KINTO_BEARER. */
export type Auth =
  { readonly kind: "basic"; readonly credentials: string } | { readonly kind: "bearer"; readonly token: string } | undefined;

/** The commands that talk to a server. */
export const COMMANDS = ["info", "export", "import", "watch", "dump", "load"] as const;

/** The name of a command that talks to a server. */
export type CommandName = (typeof COMMANDS)[number];

/** The defaults of every option, as the help prints them. */
export const DEFAULTS = {
  timeout: 10_000,
  retry: 5,
  interval: 1000,
  concurrency: 2,
  sort: "last_modified",
  ids: "content",
  onConflict: "fail",
  maxErrors: 20,
  parallel: 3,
} as const;

/** How `import` names a record that has no `id`. */
export type IdMode = "content" | "required";

/** What `import` does with a record the server holds with other content. */
export type OnConflict = "fail" | "skip" | "overwrite";

/** How `import` reports its progress. */
export type ProgressMode = "auto" | "none" | "quiet" | "json";

/** Options shared by every command. */
export interface Common {
  /** Server root with version. */
  readonly server: string;
  /** Authentication. */
  readonly auth: Auth;
  /** Longest wait for one answer, in ms (and for the whole of `info`). */
  readonly timeout: number;
  /** Retries of transient failures. */
  readonly retry: number;
  /** Things worth saying that do not stop the command (both --auth and --bearer given...). */
  readonly warnings: readonly string[];
}

/** A parsed command line. */
export type Command =
  | { readonly name: "help"; readonly topic?: CommandName }
  | { readonly name: "version" }
  | ({ readonly name: "info" } & Common)
  | ({
      readonly name: "export";
      readonly bucket: string;
      readonly collection: string;
      readonly since?: string;
      readonly sort: string;
    } & Common)
  | ({
      readonly name: "watch";
      readonly bucket: string;
      readonly collection: string;
      readonly since?: string;
      readonly interval: number;
    } & Common)
  | ({ readonly name: "dump"; readonly bucket: string } & Common)
  | ({
      readonly name: "load";
      readonly file: string;
      readonly dryRun: boolean;
      readonly concurrency: number;
      readonly parallel: number;
      readonly maxErrors: number;
    } & Common)
  | ({
      readonly name: "import";
      readonly bucket: string;
      readonly collection: string;
      readonly file: string;
      readonly concurrency: number;
      readonly chunkSize?: number;
      readonly ids: IdMode;
      readonly onConflict: OnConflict;
      readonly progress: ProgressMode;
      readonly maxErrors: number;
      readonly dryRun: boolean;
    } & Common);

const VALUE_FLAGS = new Set([
  "--auth",
  "--bearer",
  "--since",
  "--interval",
  "--concurrency",
  "--chunk-size",
  "--timeout",
  "--retry",
  "--sort",
  "--ids",
  "--on-conflict",
  "--max-errors",
  "--parallel",
]);
const BOOLEAN_FLAGS = new Set(["--dry-run", "--no-progress", "--quiet", "-q", "--json", "--help", "-h", "--version", "-V"]);

const COMMON_FLAGS = ["--auth", "--bearer", "--timeout", "--retry", "--help", "-h", "--version", "-V"];
/** The options of each command besides the common ones: any other is refused, not ignored. */
const COMMAND_FLAGS: Readonly<Record<CommandName, readonly string[]>> = {
  info: [],
  export: ["--since", "--sort"],
  watch: ["--since", "--interval"],
  import: [
    "--dry-run",
    "--concurrency",
    "--chunk-size",
    "--ids",
    "--on-conflict",
    "--max-errors",
    "--no-progress",
    "--quiet",
    "-q",
    "--json",
  ],
  dump: [],
  load: ["--dry-run", "--concurrency", "--parallel", "--max-errors"],
};

function wholeNumber(flag: string, value: string | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min)
    throw new UsageError(`${flag} expects a whole number of at least ${min}, got "${value}".`);
  return Number(value);
}

function choice<T extends string>(flag: string, value: string | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value))
    throw new UsageError(`${flag} expects one of ${allowed.join(", ")}, got "${value}".`);
  return value as T;
}

/** A Kinto timestamp (milliseconds, as in `last_modified` or an ETag, quotes allowed). */
function timestamp(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const match = /^"?(\d+)"?$/.exec(value);
  if (!match) throw new UsageError(`--since expects a Kinto timestamp (a last_modified or ETag, in ms), got "${value}".`);
  return match[1];
}

function serverUrl(value: string | undefined): string {
  if (!value) throw new UsageError("Missing <server>.");
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    // Everything up to the last "@" is cut: a password may hold "/", "@" or spaces.
    throw new UsageError(
      `<server> is not a URL: "${value.includes("@") ? `[credentials removed]@${value.slice(value.lastIndexOf("@") + 1)}` : value}".`,
    );
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

function isCommand(name: string | undefined): name is CommandName {
  return (COMMANDS as readonly string[]).includes(name ?? "");
}

function split(argv: readonly string[]): { flags: Map<string, string>; positional: string[] } {
  const flags = new Map<string, string>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [name, inline] =
      arg.startsWith("--") && arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    if (VALUE_FLAGS.has(name)) {
      const value = inline ?? argv[++i];
      if (value === undefined) throw new UsageError(`${name} expects a value.`, isCommand(positional[0]) ? positional[0] : undefined);
      flags.set(name, value);
    } else if (BOOLEAN_FLAGS.has(name)) flags.set(name, "true");
    else if (arg.startsWith("-") && arg !== "-")
      throw new UsageError(`Unknown option ${name}.`, isCommand(positional[0]) ? positional[0] : undefined);
    else positional.push(arg);
  }
  return { flags, positional };
}

function progressMode(flags: Map<string, string>): ProgressMode {
  if (flags.has("--json")) return "json";
  if (flags.has("--quiet") || flags.has("-q")) return "quiet";
  return flags.has("--no-progress") ? "none" : "auto";
}

/**
 * Parses `argv` (without node and script) and the environment.
 * @throws UsageError on anything it cannot understand
 */
export function parseArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): Command {
  const { flags, positional } = split(argv);
  const [name, ...rest] = positional;
  if (flags.has("--version") || flags.has("-V")) return { name: "version" };
  if (name === "help") {
    if (rest.length > 1 || (rest[0] !== undefined && !isCommand(rest[0])))
      throw new UsageError(`"help" expects one of ${COMMANDS.join(", ")}, got "${rest.join(" ")}".`);
    return { name: "help", topic: rest[0] as CommandName | undefined };
  }
  if (flags.has("--help") || flags.has("-h")) return { name: "help", topic: isCommand(name) ? name : undefined };
  if (name === undefined) throw new UsageError("Missing a command.");
  if (!isCommand(name)) throw new UsageError(`Unknown command "${name}".`);
  for (const flag of flags.keys()) {
    if (!COMMON_FLAGS.includes(flag) && !COMMAND_FLAGS[name].includes(flag))
      throw new UsageError(`${flag} is not an option of "${name}".`, name);
  }

  const basic = flags.get("--auth") ?? env.KINTO_AUTH;
  const bearer = flags.get("--bearer") ?? env.KINTO_BEARER;
  if (basic !== undefined && !basic.includes(":")) throw new UsageError("--auth expects user:password.", name);
  const warnings = basic && bearer ? ["both --auth (or KINTO_AUTH) and --bearer (or KINTO_BEARER) are given: using the bearer token."] : [];
  const auth: Auth = bearer ? { kind: "bearer", token: bearer } : basic ? { kind: "basic", credentials: basic } : undefined;
  const expectArgs = (...names: string[]) => {
    if (rest.length !== names.length) throw new UsageError(`"${name}" expects ${names.join(" ")}, got ${rest.length} argument(s).`, name);
  };
  const common = (): Common => ({
    server: serverUrl(rest[0]),
    auth,
    timeout: wholeNumber("--timeout", flags.get("--timeout"), DEFAULTS.timeout, 1),
    retry: wholeNumber("--retry", flags.get("--retry"), DEFAULTS.retry, 0),
    warnings,
  });
  try {
    switch (name) {
      case "info":
        expectArgs("<server>");
        return { name, ...common() };
      case "export":
        expectArgs("<server>", "<bucket>/<collection>");
        return {
          name,
          ...common(),
          ...target(rest[1]),
          since: timestamp(flags.get("--since")),
          sort: flags.get("--sort") ?? DEFAULTS.sort,
        };
      case "watch":
        expectArgs("<server>", "<bucket>/<collection>");
        return {
          name,
          ...common(),
          ...target(rest[1]),
          since: timestamp(flags.get("--since")),
          interval: wholeNumber("--interval", flags.get("--interval"), DEFAULTS.interval, 1),
        };
      case "dump":
        expectArgs("<server>", "<bucket>");
        if (!/^[a-zA-Z0-9][a-zA-Z0-9_-]*$/.test(rest[1])) throw new UsageError(`Expected a bucket id, got "${rest[1]}".`);
        return { name, ...common(), bucket: rest[1] };
      case "load":
        expectArgs("<server>", "<bucket.jsonl>");
        return {
          name,
          ...common(),
          file: rest[1],
          dryRun: flags.has("--dry-run"),
          concurrency: wholeNumber("--concurrency", flags.get("--concurrency"), DEFAULTS.concurrency, 1),
          parallel: wholeNumber("--parallel", flags.get("--parallel"), DEFAULTS.parallel, 1),
          maxErrors: wholeNumber("--max-errors", flags.get("--max-errors"), DEFAULTS.maxErrors, 1),
        };
      case "import":
        expectArgs("<server>", "<bucket>/<collection>", "<file.jsonl>");
        return {
          name,
          ...common(),
          ...target(rest[1]),
          file: rest[2],
          concurrency: wholeNumber("--concurrency", flags.get("--concurrency"), DEFAULTS.concurrency, 1),
          chunkSize: flags.has("--chunk-size") ? wholeNumber("--chunk-size", flags.get("--chunk-size"), 1, 1) : undefined,
          ids: choice("--ids", flags.get("--ids"), ["content", "required"], DEFAULTS.ids),
          onConflict: choice("--on-conflict", flags.get("--on-conflict"), ["fail", "skip", "overwrite"], DEFAULTS.onConflict),
          progress: progressMode(flags),
          maxErrors: wholeNumber("--max-errors", flags.get("--max-errors"), DEFAULTS.maxErrors, 1),
          dryRun: flags.has("--dry-run"),
        };
    }
  } catch (error) {
    throw error instanceof UsageError && error.command === undefined ? new UsageError(error.message, name) : error;
  }
}

/** The Authorization header value of `auth`. */
export function authorization(auth: Auth): Record<string, string> {
  if (!auth) return {};
  return { Authorization: auth.kind === "bearer" ? `Bearer ${auth.token}` : `Basic ${Buffer.from(auth.credentials).toString("base64")}` };
}
