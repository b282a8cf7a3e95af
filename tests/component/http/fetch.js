// A wasi:http/incoming-handler component (componentize-js / StarlingMonkey)
// that makes an outgoing request: /?url=URL sends the request's method and
// (for POST) body on to URL and answers 200 "upstream STATUS: BODY", or 502
// "fetch failed: ERROR" when the fetch rejects (denied, refused, timed
// out).  Used by tests/component/serve.sh.
addEventListener('fetch', (e) => e.respondWith(handle(e.request)));

async function handle(req) {
  const target = new URL(req.url).searchParams.get('url');
  try {
    const init = { method: req.method };
    if (req.method === 'POST') init.body = await req.text();
    const r = await fetch(target, init);
    const body = await r.text();
    return new Response(`upstream ${r.status}: ${body}`);
  } catch (err) {
    return new Response(`fetch failed: ${err}\n`, { status: 502 });
  }
}
