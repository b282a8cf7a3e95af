// A wasi:http/incoming-handler component (componentize-js / StarlingMonkey).
addEventListener('fetch', (e) =>
  e.respondWith(new Response(`hello from lattice ${new URL(e.request.url).pathname}\n`)));
