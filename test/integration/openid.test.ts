/**
 * OpenID Connect against a real Kinto with kinto.plugins.openid, whose identity provider is a small
 * stand-in served by this test (Kinto reads the provider's configuration when it starts): the
 * providers come from the capabilities, and the login URL is the one the server redirects from.
 */
import { createServer, type Server } from "node:http";
import { firstValueFrom } from "rxjs";
import { InvalidArgumentError, KintoClient } from "../../src";
import { freePort, startKinto, type KintoServer } from "../server/kinto-server";

let kinto: KintoServer;
let issuerServer: Server;
let issuer: string;

beforeAll(async () => {
  const port = await freePort();
  issuer = `http://127.0.0.1:${port}`;
  issuerServer = createServer((req, res) => {
    if (req.url !== "/.well-known/openid-configuration") return void res.writeHead(404).end();
    const config = {
      issuer,
      authorization_endpoint: `${issuer}/authorize`,
      token_endpoint: `${issuer}/token`,
      userinfo_endpoint: `${issuer}/userinfo`,
      jwks_uri: `${issuer}/jwks`,
    };
    res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(config));
  });
  await new Promise<void>((ok) => issuerServer.listen(port, "127.0.0.1", ok));
  kinto = await startKinto({
    // test/kinto.ini sets the includes and policies: Kinto lets environment variables override them.
    env: {
      KINTO_INCLUDES: "kinto.plugins.default_bucket kinto.plugins.history kinto.plugins.accounts kinto_attachment kinto.plugins.openid",
      MULTIAUTH_POLICIES: "account openid basicauth",
    },
    settings: {
      "multiauth.policy.openid.use": "kinto.plugins.openid.OpenIDConnectPolicy",
      "multiauth.policy.openid.issuer": issuer,
      "multiauth.policy.openid.client_id": "kinto-rx-test",
      "multiauth.policy.openid.client_secret": "not-a-real-secret",
    },
  });
}, 60_000);

afterAll(async () => {
  await kinto?.stop();
  await new Promise((ok) => issuerServer?.close(ok));
});

it("fetchOpenIDProviders lists the server's providers, and the login URL redirects to the provider", async () => {
  const client = new KintoClient(kinto.url);
  const providers = await firstValueFrom(client.fetchOpenIDProviders());
  expect(providers).toEqual([
    expect.objectContaining({ name: "openid", issuer, auth_path: "/openid/openid/login", client_id: "kinto-rx-test" }),
  ]);
  const callback = "http://127.0.0.1:5000/#/auth/";
  const url = client.openIDLoginURL(providers[0], callback);
  expect(url.startsWith(`${kinto.url}/openid/openid/login?`)).toBe(true);
  const response = await fetch(url, { redirect: "manual" });
  expect(response.status).toBe(307);
  const location = new URL(response.headers.get("Location")!);
  expect(`${location.origin}${location.pathname}`).toBe(`${issuer}/authorize`);
  expect(location.searchParams.get("client_id")).toBe("kinto-rx-test");
  expect(location.searchParams.get("scope")).toBe("openid email");
  expect(location.searchParams.get("response_type")).toBe("code");
});

it("a server without the openid capability has no providers; a bad callback is refused", async () => {
  const plain = new KintoClient(process.env.KINTO_URL!);
  expect(await firstValueFrom(plain.fetchOpenIDProviders())).toEqual([]);
  const provider = { name: "openid", issuer, auth_path: "/openid/openid/login" };
  expect(() => plain.openIDLoginURL(provider, "javascript:alert(1)")).toThrow(InvalidArgumentError);
});
