/**
 * A soft end-of-life Alert (kinto.eos in the future) on a real server: written to the console once
 * per client when nobody listens, as kinto-http.js writes it; never when the app listens.
 */
import { EventEmitter } from "node:events";
import { lastValueFrom } from "rxjs";
import { KintoClient } from "../../src";
import { startKinto, type KintoServer } from "../server/kinto-server";

const MESSAGE = "This service will soon be decommissioned";
const URL_ = "https://example.invalid/eol";
let server: KintoServer;
let warn: jest.SpyInstance;

beforeAll(async () => {
  server = await startKinto({ settings: { "kinto.eos": "2099-01-01", "kinto.eos_message": MESSAGE, "kinto.eos_url": URL_ } });
}, 60_000);
afterAll(() => server?.stop());
beforeEach(() => (warn = jest.spyOn(console, "warn").mockImplementation(() => undefined)));
afterEach(() => warn.mockRestore());

it("is written once per client when nobody listens, with the message and url", async () => {
  const client = new KintoClient(server.url);
  await lastValueFrom(client.fetchServerInfo());
  await lastValueFrom(client.fetchUser());
  await lastValueFrom(client.listBuckets()).catch(() => undefined); // a 401 carries the Alert too
  expect(warn.mock.calls).toEqual([[MESSAGE, URL_]]);
  await lastValueFrom(new KintoClient(server.url).fetchServerInfo());
  expect(warn).toHaveBeenCalledTimes(2); // another client warns once too
});

it("is not written when the app subscribes to deprecated$ or listens to the deprecated event", async () => {
  const subscribed = new KintoClient(server.url);
  const seen: unknown[] = [];
  subscribed.deprecated$.subscribe((alert) => seen.push(alert));
  await lastValueFrom(subscribed.fetchServerInfo());
  const events = new EventEmitter();
  events.on("deprecated", (alert) => seen.push(alert));
  await lastValueFrom(new KintoClient(server.url, { events }).fetchServerInfo());
  const own = new KintoClient(server.url);
  own.events.on("deprecated", (alert) => seen.push(alert));
  await lastValueFrom(own.fetchServerInfo());
  expect(seen).toHaveLength(3);
  expect(warn).not.toHaveBeenCalled();
});
