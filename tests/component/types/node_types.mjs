// The same calls as tests/component/run.sh's `types` comparison, made
// through `jco transpile` + Node (the independent implementation), printed
// in the WAVE-style syntax `lattice call` prints.  Usage:
//   node node_types.mjs OUTDIR   (OUTDIR: jco transpile output, with
//                                 host.mjs mapped for test:types/host)
import { pathToFileURL } from 'node:url';
import path from 'node:path';

const dir = process.argv[2];
const { api } = await import(pathToFileURL(path.join(dir, 'types.component.js')).href);

const str = (s) => JSON.stringify(s).replace(/\\u([0-9a-f]{4})/g, (_, h) => `\\u{${parseInt(h, 16).toString(16)}}`);
const num = (x) => (Number.isNaN(x) ? 'nan' : x === Infinity ? 'inf' : x === -Infinity ? '-inf' : String(x));
const f32 = (x) => num(Number.isFinite(x) ? Number(Math.fround(x).toPrecision(9)) : x);
const chr = (c) => `'${c}'`;
const point = (p) => `{x: ${p.x}, y: ${p.y}, label: ${str(p.label)}}`;
const shape = (s) => (s.tag === 'circle' ? `circle(${num(s.val)})` : s.tag === 'rect' ? `rect((${s.val[0]}, ${s.val[1]}))` : 'nothing');
const perms = (p) => `{${['read', 'write', 'exec'].filter((k) => p[k]).join(', ')}}`;
const opt = (x, f) => (x === undefined ? 'none' : `some(${f(x)})`);
const out = (s) => console.log(s);
const result = (fn) => {
  try {
    return `ok(${fn()})`;
  } catch (e) {
    return `err(${str(e.payload)})`;
  }
};

const t = api.prims(true, -5, 200, -300, 65000, -7, 4000000000, -9000000000n, 18000000000000000000n, 1.5, -2.25, 'x');
out(`(${t[0]}, ${t[1]}, ${t[2]}, ${t[3]}, ${t[4]}, ${t[5]}, ${t[6]}, ${t[7]}, ${t[8]}, ${f32(t[9])}, ${num(t[10])}, ${chr(t[11])})`);
out(str(api.greet('wörld ✓')));
out(str(api.greet('')));
out(String(api.sum(new Uint32Array([1, 2, 4294967295]))));
out(`[${api.reverse(['a', '', 'ünï']).map(str).join(', ')}]`);
out(point(api.movePoint({ x: 1, y: -2, label: 'pt' })));
out(shape(api.grow({ tag: 'circle', val: 1.5 })));
out(shape(api.grow({ tag: 'rect', val: [3, 4] })));
out(shape(api.grow({ tag: 'nothing' })));
out(api.nextColor('blue'));
out(perms(api.toggle({ read: true, exec: true })));
out(opt(api.double(21), String));
out(opt(api.double(undefined), String));
out(result(() => api.check(5)));
out(result(() => api.check(-5)));
out(String(api.seventeen(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17)));
out(`[${Array.from(api.bytes(new Uint8Array([1, 2, 3, 255]))).join(', ')}]`);
out(point(api.viaHost({ x: 5, y: 6, label: 'via' })));
const c = new api.Counter(5);
out(String(c.add(3)));
out(String(c.value()));
out(String(api.total(c)));
out(String(api.live()));
c[Symbol.dispose]();
out(String(api.live()));
