// Node/V8 driver: node node_run.mjs K.wasm [REPS]
// Compiles and instantiates the kernel, calls run() REPS times in this
// process (V8's tiers warm up across calls, as they would in a server), and
// prints `CHECKSUM BEST_MS`.
import { readFileSync } from 'node:fs';

const [file, repsArg] = process.argv.slice(2);
const reps = Number(repsArg || 3);
const { instance } = await WebAssembly.instantiate(readFileSync(file));
let best = Infinity;
let r = 0;
for (let i = 0; i < reps; i++) {
  const t0 = process.hrtime.bigint();
  r = instance.exports.run();
  const dt = Number(process.hrtime.bigint() - t0) / 1e6;
  if (dt < best) best = dt;
}
console.log(`${r | 0} ${best.toFixed(3)}`);
