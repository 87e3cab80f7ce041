/**
 * The help texts: `kinto-rx --help` and `kinto-rx help <command>`, with every option's default.
 */
import { DEFAULTS, type CommandName } from "./args";

const COMMON = `Options of every command:
  --auth USER:PASS    Basic authentication (or KINTO_AUTH)
  --bearer TOKEN      Bearer token (or KINTO_BEARER); wins over --auth
  --timeout MS        longest wait for one answer from the server (default ${DEFAULTS.timeout});
                      also the limit of the whole of "info" and of the first contact of every command
  --retry N           retries of a transient failure: 5xx, timeout, dropped connection (default ${DEFAULTS.retry})
  --help, -h          this help;  --version, -V  the version

Environment:
  KINTO_AUTH, KINTO_BEARER      credentials, when --auth / --bearer are not given
  HTTP_PROXY, HTTPS_PROXY       http:// proxy for http:// / https:// servers (user:pass@ allowed;
  ALL_PROXY                     lower-case names win); ALL_PROXY when the scheme's one is unset
  NO_PROXY                      servers reached directly: *, names (and their subdomains), .domain,
                                addresses, IPv4 ranges (10.0.0.0/8), each with an optional :port;
                                loopback servers (localhost, 127.0.0.0/8, ::1) are never proxied`;

const EXIT_CODES = `Exit codes:
  0  done (also when the reader of stdout goes away, as in "| head")
  1  the server refused the request or some records (they are listed)
  2  bad arguments
  3  server unreachable, or no answer within --timeout
  4  not authorized (401/403): bad credentials, or no permission on an existing bucket/collection;
     a proxy that refuses its credentials (407)
  5  bad input file (every bad line is named, up to --max-errors; nothing was sent)
  6  import: records that the server holds with other content (--on-conflict fail)
  130, 143  interrupted by SIGINT (Ctrl-C) or SIGTERM; run the same import again to resume`;

/** One paragraph per command. */
export const COMMAND_HELP: Readonly<Record<CommandName, string>> = {
  info: `kinto-rx info <server>
  Prints the server's root document and the current user as JSON.`,
  export: `kinto-rx export <server> <bucket>/<collection> [--since TIMESTAMP] [--sort FIELD] > records.jsonl
  Prints every record as one JSON line, one page in memory at a time.
  --since TIMESTAMP   only records changed after this last_modified / ETag (ms)
  --sort FIELD        order of the lines (default ${DEFAULTS.sort}, oldest first); "id" gives a stable
                      order for diffing two exports; "-FIELD" reverses`,
  import: `kinto-rx import <server> <bucket>/<collection> <file.jsonl> [options]
  Checks the whole file, lists what the server holds (ids and content), then sends only what is
  missing (or changed, with --on-conflict overwrite). Re-runs and resumes send nothing twice.
  --ids content|required      a line without "id" gets an id derived from its content (default ${DEFAULTS.ids}),
                              or is refused (required)
  --on-conflict fail|skip|overwrite
                              a record the server holds with other content: stop before sending
                              anything (default ${DEFAULTS.onConflict}), leave it, or replace it
  --concurrency N             /batch requests in flight (default ${DEFAULTS.concurrency})
  --chunk-size N              records per /batch request (default: the server's batch_max_requests)
  --max-errors N              bad lines reported before giving up (default ${DEFAULTS.maxErrors})
  --dry-run                   read the server, then print each write that would be sent (one
                              "METHOD PATH" line per record on stdout) and send none
  --no-progress               no progress display, only the summary
  --quiet, -q                 nothing on stderr but errors
  --json                      progress and summary as JSON lines on stdout
  Progress: a bar that fits the terminal when stderr is one; else a line at start, every 10 %, end.`,
  watch: `kinto-rx watch <server> <bucket>/<collection> [--since TIMESTAMP] [--interval MS]
  Prints each change as a JSON line until interrupted (exit 0): {"kind":"changed","data":RECORD}
  for a created or updated record, {"kind":"deleted","data":{"id","last_modified","deleted":true}}
  for a deletion (a record whose data holds "deleted": true is "changed": the server is asked).
  Gives up (exit 3) after --retry failed polls in a row.
  --since TIMESTAMP   start after this last_modified / ETag (default: now)
  --interval MS       pause between polls (default ${DEFAULTS.interval})`,
  dump: `kinto-rx dump <server> <bucket> > bucket.jsonl
  Prints the whole bucket as JSON lines: the bucket, its groups, each collection then its records,
  with data and permissions (records' included), sorted by id, without last_modified (two dumps of
  one content are equal). One page of records in memory at a time.`,
  load: `kinto-rx load <server> <bucket.jsonl> [--dry-run] [--parallel N] [--concurrency N] [--max-errors N]
  Writes a dump back, idempotently: only what differs from the server is written (records compared
  with one listing per collection, and their permissions read in /batch requests); records only on
  the server are left.
  --dry-run           print what would change on stdout, write nothing
  --parallel N        collections loaded at once (default ${DEFAULTS.parallel})
  --concurrency N     /batch requests in flight per collection (default ${DEFAULTS.concurrency})
  --max-errors N      bad lines reported before giving up (default ${DEFAULTS.maxErrors})`,
};

/** The help of every command. */
export const USAGE = `Usage: kinto-rx <command> <server> ... (kinto-rx help <command> for one command)

${Object.values(COMMAND_HELP).join("\n\n")}

<server> is the Kinto root, e.g. http://127.0.0.1:8888/v1 (/v1 is added when missing).
${COMMON}

${EXIT_CODES}`;

/** The help of `command`, or of every command. */
export function usage(command?: CommandName): string {
  return command ? `Usage:\n${COMMAND_HELP[command]}\n\n${COMMON}\n\n${EXIT_CODES}` : USAGE;
}
