// test:types/host for the jco comparison: what `lattice call --host` does
// generically (print the call, echo the point back).
const str = (s) => JSON.stringify(s);
export function log(msg) {
  console.log(`host: log(${str(msg)})`);
}
export function transform(p) {
  console.log(`host: transform({x: ${p.x}, y: ${p.y}, label: ${str(p.label)}})`);
  return p;
}
