// Runs a preview-1 command under Node's WASI, the comparison oracle:
//   node node_run.mjs [--dir HOST::GUEST]... [--env K=V]... PROG.wasm [ARGS...]
// Exits with the guest's exit code.
import { WASI } from 'node:wasi';
import { readFileSync } from 'node:fs';
process.removeAllListeners('warning'); // the ExperimentalWarning
const argv = process.argv.slice(2);
const preopens = {}, env = {};
while (argv.length && argv[0].startsWith('--')) {
  const opt = argv.shift(), val = argv.shift();
  if (opt === '--dir') {
    const [host, guest] = val.split('::');
    preopens[guest ?? host] = host;
  } else if (opt === '--env') {
    const i = val.indexOf('=');
    env[val.slice(0, i)] = val.slice(i + 1);
  } else throw new Error('unknown option ' + opt);
}
const [file, ...args] = argv;
const wasi = new WASI({ version: 'preview1', args: [file, ...args], env, preopens, returnOnExit: true });
const mod = await WebAssembly.compile(readFileSync(file));
const inst = await WebAssembly.instantiate(mod, { wasi_snapshot_preview1: wasi.wasiImport });
process.exitCode = wasi.start(inst);
