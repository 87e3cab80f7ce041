/**
 * The first contact of every command with the server: its root document, within `--timeout` in
 * all (retries included), so that a server that is down or hangs is reported at once (exit 3)
 * instead of a command waiting in silence.
 */
import { throwError, timeout } from "rxjs";
import type { KintoClient, ServerInfo } from "../index";
import type { Common } from "./args";
import { CliError, EXIT } from "./explain";
import { until } from "./stop";

/** The server's root document (with the user the server sees), or a failure within `--timeout`. */
export function contact(client: KintoClient, command: Common, signal: AbortSignal): Promise<ServerInfo> {
  const noAnswer = () =>
    new CliError(EXIT.unreachable, `Server unreachable: no answer from ${command.server} within ${command.timeout} ms (--timeout).`);
  // Its own request (with `retry`), not the shared one: unsubscribing at the deadline must cancel it.
  return until(
    client.fetchServerInfo({ retry: command.retry }).pipe(timeout({ first: command.timeout, with: () => throwError(noAnswer) })),
    signal,
  );
}
