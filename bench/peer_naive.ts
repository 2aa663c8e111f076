// Peer: a naive line-by-line JSON.parse in Deno answers "which run has the
// best (last) value.metrics.acc?" over <dir>/runs/*.jsonl, one file at a time.
// Usage: deno run --allow-read bench/peer_naive.ts <dir> [last|max]
// Prints one JSON line: { run_id, value, seconds }.
const [dir, by = "last"] = Deno.args;
const useMax = by === "max";
const t0 = performance.now();
const last = new Map<string, number>();
for (const e of Deno.readDirSync(`${dir}/runs`)) {
  if (!e.name.endsWith(".jsonl")) continue;
  const text = Deno.readTextFileSync(`${dir}/runs/${e.name}`);
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const r = JSON.parse(line);
    const acc = r.kind === "track" ? r.value?.metrics?.acc : undefined;
    if (typeof acc !== "number") continue;
    if (!useMax) last.set(r.run_id, acc);
    else if (!(acc <= (last.get(r.run_id) ?? -Infinity))) {
      last.set(r.run_id, acc);
    }
  }
}
let best: [string, number] | null = null;
for (const [id, v] of last) if (best === null || v > best[1]) best = [id, v];
console.log(JSON.stringify({
  run_id: best?.[0] ?? null,
  value: best?.[1] ?? null,
  seconds: (performance.now() - t0) / 1000,
}));
