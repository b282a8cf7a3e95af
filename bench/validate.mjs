// Times V8's WebAssembly.validate on a module: node validate.mjs FILE [REPS]
// Prints `VALID BEST_MS` (best of REPS, after one warm-up call).
import { readFileSync } from 'node:fs';

const [file, repsArg] = process.argv.slice(2);
const bytes = readFileSync(file);
const reps = Number(repsArg || 3);
let ok = WebAssembly.validate(bytes);
let best = Infinity;
for (let i = 0; i < reps; i++) {
  const t0 = process.hrtime.bigint();
  ok = WebAssembly.validate(bytes);
  const dt = Number(process.hrtime.bigint() - t0) / 1e6;
  if (dt < best) best = dt;
}
console.log(`${ok ? 1 : 0} ${best.toFixed(3)}`);
