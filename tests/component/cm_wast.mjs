// Encodes the component modules of the Component Model's .wast scripts
// (../shared/testdata/component-model) into binaries with jco's bundled
// wasm-tools `parse`, for the decoder/validator test.  wasm-tools only
// encodes (it does not validate), so `assert_invalid` components come out as
// well-formed binaries our validator must reject.
//
// Usage: node tests/component/cm_wast.mjs OUTDIR WAST...
// Writes OUTDIR/NNNN.wasm and OUTDIR/manifest.txt with one line per form:
//   <file> <expect: valid|invalid|malformed> <wast>:<line> <message>
// Forms that jco cannot encode are listed with file "-" (text-level errors,
// `quote` forms, features wasm-tools lacks).
import { parse } from '@bytecodealliance/jco';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';

const [out, ...files] = process.argv.slice(2);
mkdirSync(out, { recursive: true });

// Top-level s-expressions with their starting line.
function forms(src) {
  const res = [];
  let i = 0, depth = 0, start = -1, line = 1, startLine = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === '\n') line++;
    if (c === ';' && src[i + 1] === ';') { while (i < src.length && src[i] !== '\n') i++; continue; }
    if (c === '(' && src[i + 1] === ';') {
      let d = 1; i += 2;
      while (i < src.length && d > 0) {
        if (src[i] === '\n') line++;
        if (src[i] === '(' && src[i + 1] === ';') { d++; i += 2; continue; }
        if (src[i] === ';' && src[i + 1] === ')') { d--; i += 2; continue; }
        i++;
      }
      continue;
    }
    if (c === '"') {
      i++;
      while (i < src.length && src[i] !== '"') { if (src[i] === '\\') i++; if (src[i] === '\n') line++; i++; }
      i++; continue;
    }
    if (c === '(') { if (depth === 0) { start = i; startLine = line; } depth++; }
    if (c === ')') { depth--; if (depth === 0) res.push({ text: src.slice(start, i + 1), line: startLine }); }
    i++;
  }
  return res;
}

// The first nested form of an assertion, and its message string.
function inner(text) {
  const sub = forms(text.slice(1, -1));
  const msg = (text.match(/"((?:[^"\\]|\\.)*)"\s*\)\s*$/) || [])[1] || '';
  return { form: sub[0] ? sub[0].text : null, msg };
}

// `(component instance $i $X)` is a script command (instantiate a
// definition), not a component.
function isCommand(text) { return /^\(\s*component\s+instance\b/.test(text); }

function head(text) { return (text.match(/^\(\s*([a-z_]+(?:\s+definition)?)/) || [])[1] || ''; }

// `(component definition $X ...)` and `(component $X ...)` -> `(component ...)`
function normalise(text) {
  return text.replace(/^\(\s*component\s+definition\b/, '(component');
}

const lines = [];
let n = 0;
for (const f of files) {
  const rel = basename(dirname(f)) + '/' + basename(f);
  for (const { text, line } of forms(readFileSync(f, 'utf8'))) {
    const h = head(text);
    let form = null, expect = null, msg = '';
    if (h === 'component' || h === 'component definition') {
      if (isCommand(text)) continue;
      form = text; expect = 'valid';
    }
    else if (h === 'assert_invalid' || h === 'assert_malformed') {
      ({ form, msg } = inner(text));
      expect = h === 'assert_invalid' ? 'invalid' : 'malformed';
      if (!form || !/^\(\s*component/.test(form)) continue;
    } else continue;
    if (/^\(\s*component\s+(\$\S+\s+)?quote/.test(form)) {
      lines.push(`- ${expect} ${rel}:${line} quote form`);
      continue;
    }
    try {
      const bytes = await parse(normalise(form));
      const name = String(n++).padStart(4, '0') + '.wasm';
      writeFileSync(`${out}/${name}`, bytes);
      lines.push(`${name} ${expect} ${rel}:${line} ${msg.replace(/\s+/g, ' ')}`);
    } catch (e) {
      lines.push(`- ${expect} ${rel}:${line} jco: ${String(e.message || e).split('\n')[0]}`);
    }
  }
}
writeFileSync(`${out}/manifest.txt`, lines.join('\n') + '\n');
console.log(`${n} components encoded, ${lines.length - n} forms not encodable`);
