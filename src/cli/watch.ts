/**
 * `kinto-rx watch`: the live feed of a collection as JSON lines on stdout, until Ctrl-C / SIGTERM
 * (exit 0) or until `--retry` polls in a row failed (exit 3).
 */
import { concatMap, defer } from "rxjs";
import type { KintoClient } from "../index";
import type { Command } from "./args";
import type { Output } from "./output";
import { Stopped, until } from "./stop";

/** Prints the changes of the command's collection until stopped. */
export async function runWatch(client: KintoClient, command: Extract<Command, { name: "watch" }>, out: Output, signal: AbortSignal): Promise<void> {
  const collection = client.bucket(command.bucket).collection(command.collection);
  const feed = collection.watchRecords({ since: command.since, interval: command.interval, timeout: command.timeout, retry: command.retry });
  try {
    await until(feed.pipe(concatMap((change) => defer(async () => out.write(JSON.stringify(change) + "\n")))), signal);
  } catch (error) {
    // Ctrl-C and SIGTERM are how a watch ends.
    if (error instanceof Stopped && error.reason !== "EPIPE") return;
    throw error;
  }
}
