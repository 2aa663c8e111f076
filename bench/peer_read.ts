// Floor: a Deno loop that only reads the bytes of <dir>/runs/*.jsonl into one
// reused 1 MiB buffer (what a scan cannot go below), one file at a time.
// Usage: deno run --allow-read bench/peer_read.ts <dir>
// Prints one JSON line: { bytes, seconds }.
const [dir] = Deno.args;
const t0 = performance.now();
const buf = new Uint8Array(1 << 20);
let bytes = 0;
for (const e of Deno.readDirSync(`${dir}/runs`)) {
  if (!e.name.endsWith(".jsonl")) continue;
  const f = Deno.openSync(`${dir}/runs/${e.name}`);
  while (true) {
    const n = f.readSync(buf);
    if (n === null || n === 0) break;
    bytes += n;
  }
  f.close();
}
console.log(
  JSON.stringify({ bytes, seconds: (performance.now() - t0) / 1000 }),
);
