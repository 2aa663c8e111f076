// Runs the benchmark suite's smoke version (`bench/main.ts --smoke`) in a
// subprocess and checks that it produces a complete results table: every
// section, every row measured (ours too, once the piece exists), every
// target computed. No absolute thresholds: smoke numbers are not judged.
import assert from "node:assert/strict";
import { join } from "node:path";
import { MOD_URL, ROOT, run, tempDir } from "./_helpers.ts";

interface Row {
  name: string;
  role: "ours" | "peer" | "reference";
  cells: Record<string, number | string | null>;
  missing?: string;
}
interface Section {
  id: string;
  title: string;
  columns: string[];
  rows: Row[];
  targets: { text: string; value: number | null; met: boolean | null }[];
  notes: string[];
}

async function oursPresent(): Promise<{ tracker: boolean; cli: boolean }> {
  let tracker = false;
  try {
    tracker = typeof (await import(MOD_URL)).Experiment === "function";
  } catch { /* not there yet */ }
  let cli = false;
  try {
    cli = Deno.statSync(join(ROOT, "cli.ts")).isFile;
  } catch { /* not there yet */ }
  return { tracker, cli };
}

Deno.test("bench --smoke produces a complete results table", async () => {
  const data = tempDir("exprag-bench-");
  const json = join(data, "results.json");
  const t0 = performance.now();
  const out = await run(Deno.execPath(), [
    "run",
    "-A",
    "--no-lock",
    join(ROOT, "bench", "main.ts"),
    "--smoke",
    `--json=${json}`,
  ], { cwd: ROOT, env: { NO_COLOR: "1", EXPRAG_BENCH_DATA: data } });
  const seconds = (performance.now() - t0) / 1000;
  assert.equal(out.code, 0, `bench failed:\n${out.stdout}\n${out.stderr}`);

  const res = JSON.parse(Deno.readTextFileSync(json)) as {
    sections: Section[];
    failures: string[];
  };
  assert.deepEqual(res.failures, []);
  assert.deepEqual(res.sections.map((s) => s.id), [
    "track",
    "start",
    "query",
    "cli",
    "memory",
    "sync",
  ]);
  const present = await oursPresent();
  for (const s of res.sections) {
    assert.ok(s.rows.length >= 2, `${s.id}: too few rows`);
    assert.ok(s.targets.length >= 1, `${s.id}: no targets`);
    const oursNeeded = s.id === "track" || s.id === "start"
      ? present.tracker
      : present.cli;
    for (const r of s.rows) {
      const optional = r.role === "ours" ? !oursNeeded : /jq/.test(r.name) &&
        /jq not installed/.test(r.missing ?? "");
      if (r.missing !== undefined) {
        assert.ok(
          optional,
          `${s.id}: row "${r.name}" not measured: ${r.missing}`,
        );
        continue;
      }
      const first = r.cells[s.columns[0]];
      assert.ok(
        typeof first === "number" && Number.isFinite(first) && first > 0,
        `${s.id}: row "${r.name}" has no ${s.columns[0]}: ${first}`,
      );
    }
    for (const t of s.targets) {
      if (oursNeeded) {
        assert.ok(
          t.value !== null && Number.isFinite(t.value),
          `${s.id}: target "${t.text}" not computed`,
        );
      }
      assert.equal(t.met, null, "smoke runs never judge targets");
    }
    // Every figure is published with the load it was measured under.
    assert.ok(
      s.notes.some((n) =>
        /^Load averages \(1, 5, 15 min\): [\d.]+ [\d.]+ [\d.]+ when the section started, [\d.]+ [\d.]+ [\d.]+ when it ended/
          .test(n)
      ),
      `${s.id}: no load averages among its notes`,
    );
  }
  // The printed markdown holds every section and the targets table.
  for (const s of res.sections) {
    assert.ok(out.stdout.includes(`### ${s.title}`));
  }
  assert.ok(out.stdout.includes("### Targets"));
  // Reported, never judged: an absolute time fails on a loaded machine.
  console.log(`smoke bench took ${seconds.toFixed(1)} s`);
  // Sections clean up their generated data.
  const left = [...Deno.readDirSync(data)].map((e) => e.name).filter((n) =>
    n !== "results.json"
  );
  assert.deepEqual(left, [], "generated data left behind");
  Deno.removeSync(data, { recursive: true });
});
