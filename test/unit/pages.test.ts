import { nextPageRequest } from "../../src/streams/pages";
import { InvalidArgumentError } from "../../src";
import { listQuery, unquote } from "../../src/protocol/listing";

describe("Next-Page handling", () => {
  it("keeps only the path and query, relative to the client's remote", () => {
    const request = nextPageRequest(
      "http://127.0.0.1:8888/v1",
      "http://127.0.0.1:8888/v1/buckets/b/collections/c/records?_limit=2&_token=abc%3D",
    );
    expect(request).toEqual({ method: "GET", path: "/buckets/b/collections/c/records", query: { _limit: "2", _token: "abc=" } });
  });

  it("never sends to another origin: a foreign host is replaced by the client's remote", () => {
    const request = nextPageRequest("http://127.0.0.1:8888/v1", "https://evil.example/v1/buckets/b/collections/c/records?_token=x");
    expect(request.path).toBe("/buckets/b/collections/c/records");
  });

  it("refuses a Next-Page outside the server root", () => {
    expect(() => nextPageRequest("http://127.0.0.1:8888/v1", "http://127.0.0.1:8888/admin/x")).toThrow(InvalidArgumentError);
  });
});

describe("list query", () => {
  it("maps every generic option to Kinto's parameters", () => {
    expect(
      listQuery({
        sort: "title",
        limit: 5,
        since: '"12"',
        before: 20,
        fields: ["a", "b"],
        filters: { min_n: 1, in_id: ["x", "y"], title: "t" },
      }),
    ).toEqual({ _sort: "title", _limit: 5, _since: "12", _before: "20", _fields: ["a", "b"], min_n: 1, in_id: ["x", "y"], title: "t" });
    expect(listQuery({})).toEqual({ _sort: "-last_modified" });
    expect(unquote('"123"')).toBe("123");
  });
});
