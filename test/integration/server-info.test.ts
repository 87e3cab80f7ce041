import { firstValueFrom, lastValueFrom } from "rxjs";
import { KintoClient, InvalidArgumentError } from "../../src";
import { countingFetch, kintoUrl, testClient } from "../helpers";

describe("server information", () => {
  it("fetches the server info once per client and shares it", async () => {
    const counter = countingFetch();
    const client = testClient({ fetch: counter.fetch });
    const [info, settings, capabilities, version] = await Promise.all([
      firstValueFrom(client.fetchServerInfo()),
      firstValueFrom(client.fetchServerSettings()),
      firstValueFrom(client.fetchServerCapabilities()),
      firstValueFrom(client.fetchHTTPApiVersion()),
    ]);
    expect(info.project_name).toBe("kinto");
    expect(settings.batch_max_requests).toBe(25);
    expect(Object.keys(capabilities)).toEqual(
      expect.arrayContaining(["history", "attachments", "permissions_endpoint", "accounts", "flush_endpoint"]),
    );
    expect(version).toMatch(/^1\.\d+$/);
    expect(counter.count()).toBe(1);
  });

  it("fetchUser reports the authenticated user, and nothing when anonymous", async () => {
    const user = await lastValueFrom(testClient().fetchUser());
    expect(user?.id).toMatch(/^basicauth:/);
    const anonymous = await lastValueFrom(new KintoClient(kintoUrl()).fetchUser());
    expect(anonymous).toBeUndefined();
  });

  it("refuses a remote without a version", () => {
    expect(() => new KintoClient("http://127.0.0.1:8888")).toThrow(InvalidArgumentError);
    // Credentials are refused first (test/security/userinfo.test.ts), and not echoed.
    expect(() => new KintoClient("http://user:pw@127.0.0.1:8888/")).toThrow(/got "http:\/\/\[credentials removed\]@127.0.0.1:8888\/"/);
  });
});
