/**
 * The record type shared by the examples: a task, described once as an io-ts codec (the codec
 * validates what the server sends; the type is derived from it).
 */
import * as t from "io-ts";
import KintoClient, { type Collection } from "kinto-rx";

/** A task as stored in the `tasks` collection. */
export const Task = t.intersection([
  t.type({ title: t.string, done: t.boolean }),
  t.partial({ assignee: t.string, tags: t.array(t.string) }),
]);
/** A task as stored in the `tasks` collection. */
export type Task = t.TypeOf<typeof Task>;

/** The `tasks` collection of a bucket, its records typed (and validated) as {@link Task}. */
export function tasksCollection(remote: string, bucket: string, authorization: string): Collection<typeof Task> {
  const client = new KintoClient(remote, { headers: { Authorization: authorization }, retry: 2, timeout: 10_000 });
  return client.bucket(bucket).collection("tasks", { codec: Task });
}
