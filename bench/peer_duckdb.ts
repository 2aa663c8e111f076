// Peer: DuckDB's read_json with an explicit schema answers "which run has
// the best (last) value.metrics.acc?" over <dir>/runs/*.jsonl.
// Usage: deno run -A bench/peer_duckdb.ts <dir> [last|max]
//   last: the run whose last acc is highest; max: the run whose acc peaked highest.
// Prints one JSON line: { run_id, value, seconds } (seconds: in-process query time).
// Pinned inline on purpose: bench-only peer, kept out of deno.json's imports.
// deno-lint-ignore no-import-prefix
import { DuckDBInstance } from "npm:@duckdb/node-api@1.5.6-r.1";

const [dir, by = "last"] = Deno.args;
const agg = by === "max"
  ? "max(value.metrics.acc)"
  : "arg_max(value.metrics.acc, elapsed_ms)";
const t0 = performance.now();
const instance = await DuckDBInstance.create(":memory:", { threads: "2" });
const con = await instance.connect();
const tLoaded = performance.now();
const glob = `${dir.replaceAll("'", "''")}/runs/*.jsonl`;
const sql = `
SELECT run_id, ${agg} AS v
FROM read_json('${glob}', format = 'newline_delimited',
  columns = {run_id: 'VARCHAR', kind: 'VARCHAR', elapsed_ms: 'BIGINT',
             value: 'STRUCT(metrics STRUCT(acc DOUBLE))'})
WHERE kind = 'track' AND value.metrics.acc IS NOT NULL
GROUP BY run_id ORDER BY v DESC LIMIT 1`;
const reader = await con.runAndReadAll(sql);
const rows = reader.getRows();
const t1 = performance.now();
console.log(JSON.stringify({
  run_id: rows[0]?.[0] ?? null,
  value: rows[0]?.[1] ?? null,
  seconds: (t1 - tLoaded) / 1000,
  load_seconds: (tLoaded - t0) / 1000,
}));
