/**
 * Which requests go through which proxy: the proxy variables and NO_PROXY (pure functions; the
 * proxy itself is proven against the real server in proxy.test.ts).
 */
import { parseProxy, proxyFor, ProxyConfigError } from "../../src/cli/proxy";

const at = (url: string, env: Record<string, string>) => proxyFor(new URL(url), env)?.origin;

describe("proxyFor", () => {
  const env = { HTTP_PROXY: "http://p:3128", HTTPS_PROXY: "http://s:3129" };

  it("takes the variable of the server's scheme; lower case wins; ALL_PROXY when the scheme's is unset", () => {
    expect(at("http://kinto.example/v1", env)).toBe("http://p:3128");
    expect(at("https://kinto.example/v1", env)).toBe("http://s:3129");
    expect(at("http://kinto.example/v1", { HTTP_PROXY: "http://upper:1", http_proxy: "http://lower:2" })).toBe("http://lower:2");
    expect(at("https://kinto.example/v1", { HTTP_PROXY: "http://p:1", ALL_PROXY: "http://all:3" })).toBe("http://all:3");
    expect(at("https://kinto.example/v1", { HTTP_PROXY: "http://p:1" })).toBeUndefined();
    expect(at("http://kinto.example/v1", { HTTP_PROXY: "p.example:8080" })).toBe("http://p.example:8080");
  });

  it("never proxies loopback servers", () => {
    for (const url of [
      "http://localhost:8888/v1",
      "http://api.localhost/v1",
      "http://127.0.0.1:1/v1",
      "http://127.5.6.7/v1",
      "http://[::1]:8888/v1",
    ])
      expect(at(url, env)).toBeUndefined();
    expect(at("http://128.0.0.1/v1", env)).toBe("http://p:3128");
  });

  it("NO_PROXY: *, names and their subdomains, leading dots, ports, addresses, IPv4 ranges", () => {
    const bypass = (noProxy: string, url: string) => at(url, { ...env, NO_PROXY: noProxy }) === undefined;
    expect(bypass("*", "https://anything.example/v1")).toBe(true);
    expect(bypass("example.com", "http://example.com/v1")).toBe(true);
    expect(bypass("example.com", "http://api.example.com/v1")).toBe(true);
    expect(bypass("example.com", "http://notexample.com/v1")).toBe(false);
    expect(bypass(".example.com", "http://api.example.com/v1")).toBe(true);
    expect(bypass("*.example.com", "http://api.example.com/v1")).toBe(true);
    expect(bypass("a.example, b.example", "http://b.example/v1")).toBe(true);
    expect(bypass("example.com:8888", "http://example.com:8888/v1")).toBe(true);
    expect(bypass("example.com:8888", "http://example.com/v1")).toBe(false);
    expect(bypass("example.com:443", "https://example.com/v1")).toBe(true);
    expect(bypass("10.1.2.3", "http://10.1.2.3/v1")).toBe(true);
    expect(bypass("10.0.0.0/8", "http://10.200.3.4/v1")).toBe(true);
    expect(bypass("10.0.0.0/8", "http://11.0.0.1/v1")).toBe(false);
    expect(bypass("[2001:db8::1]", "http://[2001:db8::1]/v1")).toBe(true);
    expect(bypass("EXAMPLE.com", "http://example.COM/v1")).toBe(true);
    expect(at("http://example.com/v1", { ...env, no_proxy: "example.com", NO_PROXY: "other" })).toBeUndefined();
  });
});

describe("parseProxy", () => {
  it("turns user:password@ into Proxy-Authorization and keeps it out of the origin", () => {
    const proxy = parseProxy("HTTP_PROXY", "http://al%40ice:p%3Ass@proxy.example:3128");
    expect(proxy).toEqual({
      origin: "http://proxy.example:3128",
      host: "proxy.example",
      port: 3128,
      authorization: "Basic " + Buffer.from("al@ice:p:ss").toString("base64"),
    });
    expect(parseProxy("HTTP_PROXY", "http://proxy.example").port).toBe(80);
  });

  it("refuses what it cannot use, without echoing the value", () => {
    expect(() => parseProxy("HTTPS_PROXY", "https://u:secret@p:1")).toThrow(ProxyConfigError);
    expect(() => parseProxy("HTTPS_PROXY", "https://u:secret@p:1")).toThrow(/only http:\/\/ proxies/);
    expect(() => parseProxy("HTTP_PROXY", "http://u:secret@[bad")).toThrow("HTTP_PROXY is not a URL.");
  });
});
