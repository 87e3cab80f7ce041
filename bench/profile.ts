/**
 * Profiling aid for scenario 5: one variant, many sequential requests against the stub, in a
 * process of its own (Node 20 refuses --cpu-prof in NODE_OPTIONS, so bundle first):
 *   npx esbuild bench/profile.ts --bundle --platform=node --packages=external --outfile=node_modules/.cache/bench-profile.cjs
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof node_modules/.cache/bench-profile.cjs kinto-rx record 20000
 * then open /tmp/prof/*.cpuprofile in Chrome DevTools. Variants: see CPU_VARIANTS in bench/cpu.ts.
 */
import { CPU_VARIANTS, runCpuJob, startStub, type CpuVariant } from "./cpu";
import { runStub } from "./stub";

async function main(): Promise<void> {
  const [variant = "kinto-rx", payload = "record", n = "20000"] = process.argv.slice(2);
  if (!CPU_VARIANTS.includes(variant as CpuVariant)) throw new Error(`variant: one of ${CPU_VARIANTS.join(", ")}`);
  const stub = await startStub();
  try {
    // In this process, so that --cpu-prof sees it.
    const sample = await runCpuJob({ url: stub.url, variant: variant as CpuVariant, payload: payload as "record" | "list", n: Number(n) });
    console.log(variant, payload, `${(sample.cpuUs / Number(n)).toFixed(1)} µs CPU/request`);
  } finally {
    stub.child.kill();
  }
}

if (process.argv[2] === "--stub") runStub();
else
  main().then(
    () => process.exit(0),
    (error) => (console.error(error), process.exit(1)),
  );
