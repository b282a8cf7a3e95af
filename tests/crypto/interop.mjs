// Interoperability of Lattice's src/crypto with independent implementations:
// @nats-io/nkeys 2.0.3 (keys, signatures, xkey sealed boxes) and
// @nats-io/jwt 0.0.11 (NATS v2 JWTs), both pinned in package.json, plus
// wascap claims built here from PROTOCOL.md §6 with those and Node's crypto.  Lattice
// is driven through build/crypto/nkeys_tool (NKEYS_TOOL overrides); every
// check goes both ways: what they make, we read, and what we make, they read.
// Prints one line per failure and ends with `N passed, N failed`.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as nk from '@nats-io/nkeys';
import * as jwt from '@nats-io/jwt';

const TOOL = process.env.NKEYS_TOOL || 'build/crypto/nkeys_tool';
const te = new TextEncoder();
const td = new TextDecoder();
let passed = 0, failed = 0;

function check(name, ok, detail = '') {
  if (ok) passed++;
  else {
    failed++;
    console.log(`FAIL ${name}${detail ? ': ' + detail : ''}`);
  }
}
// runs the tool; returns {ok, out}
function tool(...args) {
  try {
    return { ok: true, out: execFileSync(TOOL, args, { encoding: 'utf8' }).trim() };
  } catch (e) {
    return { ok: false, out: (e.stdout || '').trim() };
  }
}
const hex = (u8) => Buffer.from(u8).toString('hex');
const unhex = (h) => new Uint8Array(Buffer.from(h, 'hex'));
const seedOf = (kp) => td.decode(kp.getSeed());
async function attempt(name, fn) {
  try { await fn(); } catch (e) { check(name, false, 'threw ' + e.message); }
}

// ---- keys: every type the JS library knows, both directions ----------------
const jsTypes = {
  account: nk.createAccount, cluster: nk.createCluster, server: nk.createServer,
  operator: nk.createOperator, user: nk.createUser, curve: nk.createCurve,
};
for (const [type, create] of Object.entries(jsTypes)) {
  await attempt(`keys ${type}`, async () => {
    const kp = create();
    const r = tool('pub', seedOf(kp));
    check(`their ${type} seed -> our public key`, r.ok && r.out === kp.getPublicKey(), r.out);
    const g = tool('gen', type);
    const [seed, pub] = g.out.split(' ');
    const theirs = type === 'curve' ? nk.fromCurveSeed(te.encode(seed)) : nk.fromSeed(te.encode(seed));
    check(`our ${type} seed -> their public key`, g.ok && theirs.getPublicKey() === pub, g.out);
    check(`our ${type} public key parses in theirs`, nk.fromPublic(pub).getPublicKey() === pub);
  });
}
// module (M) and service (V) keys are wascap's: the JS library refuses them,
// which is the expected, documented difference (PROTOCOL.md §7.1)
for (const type of ['module', 'service']) {
  const g = tool('gen', type);
  let refused = false;
  try { nk.fromSeed(te.encode(g.out.split(' ')[0])); } catch { refused = true; }
  check(`${type} key: made by us, refused by @nats-io/nkeys (wascap-only type)`, g.ok && refused);
}
// a bad CRC is refused by both
{
  const kp = nk.createAccount();
  const pub = kp.getPublicKey();
  const bad = pub.slice(0, 30) + (pub[30] === 'A' ? 'B' : 'A') + pub.slice(31);
  let theyRefuse = false;
  try { nk.fromPublic(bad); } catch { theyRefuse = true; }
  const r = tool('verify', bad, '00', '00'.repeat(64));
  check('bad CRC public key refused by both', theyRefuse && !r.ok && /checksum/.test(r.out), r.out);
  const seed = seedOf(kp);
  const badSeed = seed.slice(0, 20) + (seed[20] === 'Q' ? 'R' : 'Q') + seed.slice(21);
  let theyRefuseSeed = false;
  try { nk.fromSeed(te.encode(badSeed)); } catch { theyRefuseSeed = true; }
  const rs = tool('pub', badSeed);
  check('bad CRC seed refused by both', theyRefuseSeed && !rs.ok, rs.out);
}

// ---- signatures ----------------------------------------------------------------
for (const create of [nk.createAccount, nk.createUser, nk.createServer, nk.createOperator]) {
  await attempt('signatures', async () => {
    const kp = create();
    const msg = te.encode(`lattice interop ${Math.random()}`);
    const theirSig = kp.sign(msg);
    const r = tool('verify', kp.getPublicKey(), hex(msg), hex(theirSig));
    check(`their ${kp.getPublicKey()[0]} signature verifies in ours`, r.ok && r.out === 'ok', r.out);
    const s = tool('sign', seedOf(kp), hex(msg));
    check(`our ${kp.getPublicKey()[0]} signature verifies in theirs`, s.ok && kp.verify(msg, unhex(s.out)));
    check(`our signature equals theirs (Ed25519 is deterministic)`, s.out === hex(theirSig));
    const tampered = new Uint8Array(msg); tampered[0] ^= 1;
    const rt = tool('verify', kp.getPublicKey(), hex(tampered), hex(theirSig));
    check('tampered message refused by ours', !rt.ok && /EINVALID/.test(rt.out), rt.out);
    check('tampered message refused by theirs', !kp.verify(tampered, unhex(s.out)));
    const r63 = tool('verify', kp.getPublicKey(), hex(msg), hex(theirSig.slice(0, 63)));
    check('63-byte signature refused', !r63.ok && /63 bytes/.test(r63.out), r63.out);
    const r65 = tool('verify', kp.getPublicKey(), hex(msg), hex(theirSig) + '00');
    check('65-byte signature refused', !r65.ok && /65 bytes/.test(r65.out), r65.out);
  });
}

// ---- xkey sealed boxes ------------------------------------------------------------
await attempt('xkeys', async () => {
  const alice = nk.createCurve(), bob = nk.createCurve(), eve = nk.createCurve();
  for (const text of ['', 'hello sealed world', 'x'.repeat(5000)]) {
    const msg = te.encode(text);
    // theirs -> ours
    const box = alice.seal(msg, bob.getPublicKey());
    const r = tool('open', seedOf(bob), alice.getPublicKey(), hex(box));
    check(`their box (${msg.length} B) opens in ours`, r.ok && r.out === hex(msg), r.out.slice(0, 80));
    // ours -> theirs
    const s = tool('seal', seedOf(alice), bob.getPublicKey(), hex(msg));
    const opened = s.ok ? bob.open(unhex(s.out), alice.getPublicKey()) : null;
    check(`our box (${msg.length} B) opens in theirs`, opened !== null && hex(opened) === hex(msg));
    check('our box starts with xkv1', s.out.startsWith(hex(te.encode('xkv1'))));
    // wrong keys are refused on both sides
    const rw = tool('open', seedOf(eve), alice.getPublicKey(), hex(box));
    check('their box refused by ours for the wrong recipient', !rw.ok && /EINVALID/.test(rw.out), rw.out);
    check('our box refused by theirs for the wrong recipient', eve.open(unhex(s.out), alice.getPublicKey()) === null);
    const rs = tool('open', seedOf(bob), eve.getPublicKey(), hex(box));
    check('their box refused by ours for the wrong sender', !rs.ok, rs.out);
  }
  const tampered = alice.seal(te.encode('abc'), bob.getPublicKey());
  tampered[tampered.length - 1] ^= 1;
  const rt = tool('open', seedOf(bob), alice.getPublicKey(), hex(tampered));
  check('tampered box refused by ours', !rt.ok && /EINVALID/.test(rt.out), rt.out);
});

// ---- JWTs ---------------------------------------------------------------------------
await attempt('jwt', async () => {
  const op = nk.createOperator(), acct = nk.createAccount(), user = nk.createUser();
  // theirs -> ours: operator, account (signed by the operator), user (by the account)
  const opJwt = await jwt.encodeOperator('lattice-op', op);
  const acctJwt = await jwt.encodeAccount('app', acct, {}, { signer: op });
  const userJwt = await jwt.encodeUser('alice', user, acct);
  for (const [what, tok, iss, sub] of [
    ['operator', opJwt, op.getPublicKey(), op.getPublicKey()],
    ['account', acctJwt, op.getPublicKey(), acct.getPublicKey()],
    ['user', userJwt, acct.getPublicKey(), user.getPublicKey()],
  ]) {
    const r = tool('jwt-verify', tok);
    const [alg, i, s] = r.out.split(' ');
    check(`their ${what} JWT verifies in ours`, r.ok && alg === 'ed25519-nkey' && i === iss && s === sub, r.out);
  }
  // their JWT, tampered: a claim changed, signature kept
  const [h, c, sig] = userJwt.split('.');
  const claims = JSON.parse(Buffer.from(c, 'base64url').toString());
  claims.name = 'mallory';
  const forged = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${sig}`;
  const rf = tool('jwt-verify', forged);
  check('their JWT with a changed claim refused by ours', !rf.ok && /SIG_INVALID/.test(rf.out), rf.out);
  // expired and not-yet-valid JWTs of theirs
  const now = Math.floor(Date.now() / 1000);
  const expired = await jwt.encodeUser('old', user, acct, {}, { exp: now - 3600 });
  const re = tool('jwt-verify', expired);
  check('their expired JWT refused by ours', !re.ok && /LAT_CR_EXPIRED/.test(re.out), re.out);
  const early = await jwt.encodeUser('later', user, acct, {}, { nbf: now + 3600 });
  const rn = tool('jwt-verify', early);
  check('their not-yet-valid JWT refused by ours', !rn.ok && /NOT_YET_VALID/.test(rn.out), rn.out);
  // a v1 token (alg "ed25519", claims-only signature) is refused as the wrong alg
  const v1 = await jwt.encodeUser('v1', user, acct, {}, { algorithm: jwt.Algorithms.v1 });
  const rv1 = tool('jwt-verify', v1);
  check('their v1 (alg ed25519) JWT refused by ours as wrong alg', !rv1.ok && /TOKEN_ALG/.test(rv1.out), rv1.out);

  // ours -> theirs
  const ou = tool('jwt-user', seedOf(acct), user.getPublicKey(), 'bob');
  let dec = null;
  try { dec = jwt.decode(ou.out); } catch (e) { check('our user JWT decodes in theirs', false, e.message); }
  check('our user JWT verifies in theirs', dec && dec.iss === acct.getPublicKey() &&
    dec.sub === user.getPublicKey() && dec.name === 'bob' && dec.nats.type === 'user');
  const oa = tool('jwt-account', seedOf(op), acct.getPublicKey(), 'team');
  let deca = null;
  try { deca = jwt.decode(oa.out); } catch (e) { check('our account JWT decodes in theirs', false, e.message); }
  check('our account JWT verifies in theirs', deca && deca.iss === op.getPublicKey() && deca.nats.type === 'account');
  // and they notice tampering with ours
  const [oh, oc, os] = ou.out.split('.');
  const oclaims = JSON.parse(Buffer.from(oc, 'base64url').toString());
  oclaims.sub = nk.createUser().getPublicKey();
  let refused = false;
  try { jwt.decode(`${oh}.${Buffer.from(JSON.stringify(oclaims)).toString('base64url')}.${os}`); } catch { refused = true; }
  check('our JWT with a changed claim refused by theirs', refused);
  // our own check of our token and their .creds format round trip
  const rv = tool('jwt-verify', ou.out);
  check('our user JWT verifies in ours', rv.ok, rv.out);
  const creds = td.decode(jwt.fmtCreds(ou.out, user));
  const parsed = await jwt.parseCreds(te.encode(creds));
  check('our user JWT survives their .creds format', parsed.jwt === ou.out && parsed.uc.sub === user.getPublicKey());
});

// ---- wascap claims embedded in a module ------------------------------------------
// There is no wascap on npm, so the other side is written here from
// PROTOCOL.md §6 with independent primitives: @nats-io/nkeys signs and
// verifies, Node's crypto hashes, and a 20-line section walker strips.
await attempt('wascap', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lattice-interop-'));
  try {
    writeFileSync(join(dir, 'm.wat'), '(module (memory 1) (data (i32.const 0) "hi")' +
      ' (func (export "f") (result i32) i32.const 42))');
    execFileSync('wat2wasm', [join(dir, 'm.wat'), '-o', join(dir, 'm.wasm')]);
    const mod = readFileSync(join(dir, 'm.wasm'));
    const acct = nk.createAccount();
    const modulePub = tool('gen', 'module').out.split(' ')[1];
    // sections of a core module: [{id, start, end, name?, payload}]
    const uleb = (b, p) => { let v = 0, s = 0, x; do { x = b[p++]; v |= (x & 0x7f) << s; s += 7; } while (x & 0x80); return [v >>> 0, p]; };
    const sections = (b) => {
      const out = []; let p = 8;
      while (p < b.length) {
        const start = p, id = b[p++]; let size; [size, p] = uleb(b, p);
        const body = b.subarray(p, p + size); p += size;
        const sec = { id, start, end: p, body };
        if (id === 0) { const [nl, q] = uleb(body, 0); sec.name = body.subarray(q, q + nl).toString(); sec.payload = body.subarray(q + nl); }
        out.push(sec);
      }
      return out;
    };
    const strip = (b) => Buffer.concat([b.subarray(0, 8), ...sections(b)
      .filter((x) => !(x.id === 0 && (x.name === 'jwt' || x.name === 'wasmcloud_jwt')))
      .map((x) => b.subarray(x.start, x.end))]);
    const sha = (b) => createHash('sha256').update(b).digest('hex').toUpperCase();
    const lebEnc = (n) => { const o = []; do { let x = n & 0x7f; n >>>= 7; o.push(x | (n ? 0x80 : 0)); } while (n); return Buffer.from(o); };
    const customSection = (name, data) => {
      const body = Buffer.concat([lebEnc(name.length), Buffer.from(name), data]);
      return Buffer.concat([Buffer.from([0]), lebEnc(body.length), body]);
    };

    // ours -> checked here
    const r = tool('sign-wasm', seedOf(acct), tool('gen', 'module').out.split(' ')[0], 'ours',
      join(dir, 'm.wasm'), join(dir, 'm_s.wasm'));
    const signed = readFileSync(join(dir, 'm_s.wasm'));
    const secs = sections(signed), last = secs[secs.length - 1];
    check('our signed module ends with a wasmcloud_jwt section', r.ok && last.name === 'wasmcloud_jwt');
    const [h, c, sg] = last.payload.toString().split('.');
    const header = JSON.parse(Buffer.from(h, 'base64url').toString());
    const claims = JSON.parse(Buffer.from(c, 'base64url').toString());
    check('our wascap header is {"typ":"jwt","alg":"Ed25519"}',
      JSON.stringify(header) === '{"typ":"jwt","alg":"Ed25519"}');
    check('our wascap signature verifies with @nats-io/nkeys',
      nk.fromPublic(claims.iss).verify(te.encode(`${h}.${c}`), new Uint8Array(Buffer.from(sg, 'base64url'))));
    check('our wascap hash equals sha256 of the module without claims (Node crypto)',
      claims.wascap.hash === sha(strip(signed)) && claims.wascap.hash === sha(mod), claims.wascap.hash);
    check('our wascap claims name their types', claims.iss === acct.getPublicKey() &&
      claims.sub[0] === 'M' && claims.wascap_revision === 3 && claims.wascap.name === 'ours');

    // theirs -> ours: a token made and embedded here
    const make = (hash, extra = {}) => {
      const cl = { jti: 'js', iat: Math.floor(Date.now() / 1000), iss: acct.getPublicKey(), sub: modulePub,
        wascap: { name: 'theirs', hash, tags: ['js'], rev: 7, ver: '9.9.9', prov: false }, wascap_revision: 3, ...extra };
      const hh = Buffer.from('{"typ":"jwt","alg":"Ed25519"}').toString('base64url');
      const cc = Buffer.from(JSON.stringify(cl)).toString('base64url');
      const ss = Buffer.from(acct.sign(te.encode(`${hh}.${cc}`))).toString('base64url');
      return Buffer.concat([mod, customSection('wasmcloud_jwt', Buffer.from(`${hh}.${cc}.${ss}`))]);
    };
    writeFileSync(join(dir, 'js.wasm'), make(sha(mod)));
    const e = tool('extract', join(dir, 'js.wasm'));
    check('a module signed in JS verifies in ours', e.ok && e.out === `ok theirs ${sha(mod)} ${acct.getPublicKey()} ${modulePub}`, e.out);
    writeFileSync(join(dir, 'js_bad.wasm'), make('00'.repeat(32)));
    const eb = tool('extract', join(dir, 'js_bad.wasm'));
    check('a JS-signed module with the wrong hash refused by ours', !eb.ok && /HASH_MISMATCH/.test(eb.out), eb.out);
    writeFileSync(join(dir, 'js_exp.wasm'), make(sha(mod), { exp: 1000 }));
    const ee = tool('extract', join(dir, 'js_exp.wasm'));
    check('an expired JS-signed module refused by ours', !ee.ok && /LAT_CR_EXPIRED/.test(ee.out), ee.out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

console.log(`interop: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
