import { createHash } from "node:crypto";
import fc from "fast-check";
import { Sha256 } from "../../src/resources/sha256";

describe("Sha256", () => {
  it("matches node:crypto for known vectors and block boundaries", () => {
    for (const size of [0, 1, 3, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000]) {
      const bytes = Uint8Array.from({ length: size }, (_, i) => (i * 31 + 7) & 0xff);
      expect(new Sha256().update(bytes).hex()).toBe(createHash("sha256").update(bytes).digest("hex"));
    }
    expect(new Sha256().update(new TextEncoder().encode("abc")).hex()).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
  });

  it("gives the same digest however the bytes are split into chunks", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 700 }), fc.array(fc.nat(700), { maxLength: 6 }), (bytes, cuts) => {
        const hash = new Sha256();
        let start = 0;
        for (const cut of [...cuts].sort((a, b) => a - b)) {
          const end = Math.min(cut, bytes.length);
          if (end > start) hash.update(bytes.subarray(start, end));
          start = Math.max(start, end);
        }
        hash.update(bytes.subarray(start));
        expect(hash.hex()).toBe(createHash("sha256").update(bytes).digest("hex"));
      }),
      { numRuns: 200 },
    );
  });
});

describe("Sha256's constants", () => {
  it("are FIPS 180-4's, derived from the primes at load time", () => {
    // The first and last round constants and initial words, as printed in FIPS 180-4.
    const hash = new Sha256() as unknown as { state: Int32Array };
    expect([...hash.state].map((w) => (w >>> 0).toString(16))).toEqual([
      "6a09e667",
      "bb67ae85",
      "3c6ef372",
      "a54ff53a",
      "510e527f",
      "9b05688c",
      "1f83d9ab",
      "5be0cd19",
    ]);
  });
});
