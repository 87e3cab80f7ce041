/**
 * `node scripts/run-ts.mjs bench/sha256.ts`: throughput of the sha256 that checks attachment
 * downloads (src/resources/sha256.ts, incremental, in plain TypeScript so that browsers and Node
 * stream alike), against node:crypto's, on 32 MiB of random bytes fed in 64 KiB chunks (the size
 * of a fetch body chunk). Prints one line per run; both digests must be equal.
 */
import { createHash, randomBytes } from "node:crypto";
import { Sha256 } from "../src/resources/sha256";

const MIB = Number(process.env.BENCH_SHA_MIB ?? 32);
const data = randomBytes(MIB * 1024 * 1024);
const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;

for (let run = 1; run <= 5; run++) {
  let start = process.hrtime.bigint();
  const hash = new Sha256();
  for (let i = 0; i < data.length; i += 65536) hash.update(data.subarray(i, i + 65536));
  const ours = hash.hex();
  const oursMs = ms(start);
  start = process.hrtime.bigint();
  const node = createHash("sha256").update(data).digest("hex");
  const nodeMs = ms(start);
  if (ours !== node) throw new Error("sha256 digests differ");
  console.log(
    `run ${run}: Sha256 ${(MIB / (oursMs / 1000)).toFixed(0)} MiB/s (${oursMs.toFixed(0)} ms), node:crypto ${(MIB / (nodeMs / 1000)).toFixed(0)} MiB/s`,
  );
}
