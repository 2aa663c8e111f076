// SIGKILL at random moments: a real tracker process tracks thousands of
// records, printing each index after track() returns, and is killed with
// SIGKILL once a randomly chosen index has gone by (or at random around
// run start and run end). After each kill: every record whose track()
// returned is in the file and parses, at most the final line is torn, and
// the reader (query API; the CLI for a share of the trials) says `crashed`
// and still answers values and best on the run.
//
// Figures: `EXPRAG_FAULT_TRIALS` (default 60) trials, seed
// `EXPRAG_FAULT_SEED` (default fixed). The totals are printed at the end.
import assert from "node:assert/strict";
import { join } from "node:path";
import { bestRuns, listRuns, type Problem, selectValues } from "../mod.ts";
import { tempDir } from "./_helpers.ts";
import {
  assertCleanStderr,
  cli,
  IMPORT_TRACKER,
  parseRunFile,
  pool,
  Rng,
  runFilesOf,
  spawnDeno,
  suiteSeed,
} from "./_faults.ts";

const TRIALS = Number(Deno.env.get("EXPRAG_FAULT_TRIALS") ?? 60);
const SEED = suiteSeed(0x5eed_0001);
/** Records per run. */
const N = 4000;
/** Trials running at once (2 cores in CI). */
const AT_ONCE = 3;
/** One trial in CLI_EVERY also asks the CLI (runs --json, values, best). */
const CLI_EVERY = 5;

// The child: tracks N records (a big one every `bigEvery`, so that a kill
// may land inside a large write), printing `i` after track(i) returned.
// mode "hang": waits after the last record without ending (always killed
// before run_end); mode "end": calls end() after the last record.
const CHILD = IMPORT_TRACKER + `
const [n, bigEvery, mode] = [Number(Deno.args[0]), Number(Deno.args[1]), Deno.args[2]];
const enc = new TextEncoder();
const say = (s) => { const b = enc.encode(s); let o = 0; while (o < b.length) o += Deno.stdout.writeSync(b.subarray(o)); };
const exp = new Experiment("kill-trial", { git: false, metadata: { n, bigEvery, mode } });
say("start " + exp.path + "\\n");
const pad = "p".repeat(1_000_000);
for (let i = 0; i < n; i++) {
  const v = { i, metrics: { loss: 1 / (i + 1), acc: i / n } };
  if (bigEvery > 0 && i % bigEvery === bigEvery - 1) v.pad = pad;
  exp.track(v, i % 5 === 0 ? { note: "step " + i } : undefined);
  say(i + "\\n");
  if (i % 200 === 199) await new Promise((r) => setTimeout(r, 1));
}
if (mode === "end") { exp.end(); say("ended\\n"); }
setInterval(() => {}, 1000);
`;

const RECORD_START = '{"schema_version":1,"exprag_version":';

type Moment = "startup" | "tracking" | "end";

interface TrialResult {
  seed: number;
  moment: Moment;
  printed: number; // highest index printed (track returned), -1 if none
  tracks: number; // complete track records in the file
  torn: boolean;
  ended: boolean;
  cli: boolean;
  synthetic: boolean;
}

async function trial(k: number, rng: Rng): Promise<TrialResult> {
  const seed = rng.int(0, 2 ** 31);
  const r = new Rng(seed);
  const moment: Moment = k % 12 === 11
    ? "startup"
    : k % 6 === 2
    ? "end"
    : "tracking";
  const bigEvery = r.pick([0, 211, 499, 1333]);
  const mode = moment === "end" ? "end" : "hang";
  let target = moment === "tracking"
    ? r.int(0, N - 1)
    : moment === "end"
    ? r.int(N - 150, N - 1)
    : -1;
  if (moment === "tracking" && bigEvery > 0 && r.chance(0.5)) {
    // aim at the write of a big record
    target = Math.max(0, target - (target % bigEvery) - 2 - r.int(0, 1));
  }
  const label =
    `trial ${k} (seed ${seed}, ${moment}, target ${target}, big every ${bigEvery})`;

  const cwd = tempDir("exprag-kill-");
  const child = spawnDeno(CHILD, ["--allow-write=.exprag"], {
    cwd,
    args: [String(N), String(bigEvery), mode],
    name: "kill",
  });
  let printed = -1;
  let path: string | null = null;
  if (moment === "startup") {
    // anywhere from process start to the first records
    await new Promise((res) => setTimeout(res, r.int(0, 120)));
  } else {
    const first = await child.stdout.line();
    assert.ok(first?.startsWith("start "), `${label}: child started: ${first}`);
    path = first!.slice(6);
    while (true) {
      const l = await child.stdout.line();
      if (l === null) break;
      if (/^\d+$/.test(l)) printed = Number(l);
      if (printed >= target) break;
    }
    // a little extra randomness: let the child run on for 0-2 timer turns
    for (let t = r.int(0, 2); t > 0; t--) {
      await new Promise((res) => setTimeout(res, 0));
    }
  }
  child.kill("SIGKILL");
  const { status, rest, stderr } = await child.wait();
  assert.equal(status.signal, "SIGKILL", `${label}: killed (${stderr})`);
  let ended = false;
  for (const l of rest) {
    if (/^\d+$/.test(l)) printed = Math.max(printed, Number(l));
    if (l.startsWith("start ")) path = l.slice(6);
    if (l === "ended") ended = true;
  }

  const exprag = join(cwd, ".exprag");
  const files = runFilesOf(exprag);
  const none = {
    seed,
    moment,
    printed,
    tracks: 0,
    torn: false,
    ended,
    cli: false,
    synthetic: false,
  };
  if (path === null) {
    // killed before run_start was announced: at most one file, never garbage
    assert.ok(files.length <= 1, label);
    if (files.length === 0) return none;
    path = files[0];
  } else {
    assert.deepEqual(files, [path], `${label}: exactly the run's file`);
  }
  const useCli = k % CLI_EVERY === 0;
  const v = await verify(label, exprag, path, printed, ended, useCli);
  if (v === undefined) return none;
  let synthetic = false;
  if (k % 3 === 0 && v.tracks > 0 && !v.torn) {
    // The kernel may also cut a write short (a kill inside a large write on
    // some file systems): cut the last record in two and check the reader
    // again, as if the kill had landed there.
    const bytes = Deno.readFileSync(path);
    const lastNl = bytes.lastIndexOf(10, bytes.length - 2);
    const cut = lastNl + 1 + r.int(1, bytes.length - lastNl - 3);
    Deno.truncateSync(path, cut);
    const w = await verify(
      `${label} (cut at ${cut})`,
      exprag,
      path,
      -1,
      false,
      useCli,
    );
    assert.ok(w !== undefined && w.torn, `${label}: the cut line is torn`);
    assert.equal(w.tracks + (v.ended ? 0 : 1), v.tracks, label);
    synthetic = true;
  }
  Deno.removeSync(cwd, { recursive: true });
  return { ...none, ...v, cli: useCli && v.tracks > 0, synthetic };
}

/**
 * Checks a killed run's file and the readers' answers about it; returns
 * the complete track records found, undefined when no run_start was written.
 */
async function verify(
  label: string,
  exprag: string,
  path: string,
  printed: number,
  ended: boolean,
  useCli: boolean,
): Promise<{ tracks: number; torn: boolean; ended: boolean } | undefined> {
  // --- the bytes: complete lines parse, sequence intact, only the tail torn
  const f = parseRunFile(path);
  const recs = f.records;
  if (recs.length === 0) {
    // killed between creating the file and writing run_start
    assert.equal(printed, -1, `${label}: no record was announced`);
    return undefined;
  }
  assert.equal(recs[0].kind, "run_start", `${label}: line 1 is run_start`);
  const runId = recs[0].run_id as string;
  const tracks = recs.filter((x) => x.kind === "track");
  const ends = recs.filter((x) => x.kind === "run_end");
  assert.equal(
    recs.length,
    1 + tracks.length + ends.length,
    `${label}: only run_start, track and run_end records`,
  );
  for (const [j, t] of tracks.entries()) {
    assert.equal(t.run_id, runId, `${label}: run id of record ${j}`);
    if ((t.value as { i: number }).i !== j) {
      assert.fail(
        `${label}: record ${j} holds index ${(t.value as { i: number }).i}`,
      );
    }
  }
  assert.ok(
    tracks.length >= printed + 1,
    `${label}: ${
      printed + 1
    } track() calls returned but only ${tracks.length} records are in the file`,
  );
  if (ended) assert.equal(ends.length, 1, `${label}: end() returned`);
  if (ends.length > 0) {
    assert.equal(recs.at(-1)!.kind, "run_end", label);
    assert.equal(tracks.length, N, label);
  }
  let tornRecord: Record<string, unknown> | null = null;
  if (f.torn !== null) {
    // the torn tail is the start of the next record, nothing else
    try {
      tornRecord = JSON.parse(f.torn); // complete but unterminated
    } catch {
      assert.ok(
        f.torn.startsWith(RECORD_START) || RECORD_START.startsWith(f.torn),
        `${label}: the torn tail is the start of a record: ${
          f.torn.slice(0, 80)
        }`,
      );
    }
    if (tornRecord !== null) {
      const t = tornRecord as { kind: string; value: { i: number } };
      assert.ok(
        (t.kind === "track" && t.value.i === tracks.length) ||
          (t.kind === "run_end" && tracks.length === N),
        `${label}: the unterminated tail is the next record`,
      );
    }
  }

  // --- the reader: crashed (or finished), exact counts, still answers
  const problems: Problem[] = [];
  const opts = { dir: exprag, onProblem: (p: Problem) => problems.push(p) };
  const runs = await listRuns(opts);
  assert.equal(runs.length, 1, label);
  const run = runs[0];
  const complete = tracks.length + (tornRecord?.kind === "track" ? 1 : 0);
  const hasEnd = ends.length > 0 || tornRecord?.kind === "run_end";
  assert.equal(
    run.status,
    hasEnd ? "finished" : "crashed",
    `${label}: status (${run.status_reason})`,
  );
  assert.equal(run.records, complete, `${label}: record count`);
  const values = await selectValues("value.i", { ...opts, run: runId });
  assert.equal(values.length, complete, `${label}: values`);
  if (complete > 0) {
    assert.equal(values.at(-1)!.value, complete - 1, label);
    assert.equal(values.at(-1)!.line, complete + 1, label);
    const best = await bestRuns("value.metrics.acc", opts);
    assert.equal(best.rows.length, 1, label);
    assert.equal(best.rows[0].run.id, runId, label);
    assert.equal(best.rows[0].value, (complete - 1) / N, `${label}: best`);
    const count = best.rows[0].count;
    assert.ok(count === null || count === complete, `${label}: ${count}`);
  }
  const torn = f.torn !== null && tornRecord === null;
  if (torn) {
    assert.ok(
      problems.some((p) =>
        p.file === path && p.line === recs.length + 1 && /torn/.test(p.reason)
      ),
      `${label}: the torn line is reported as file:line: ${
        JSON.stringify(problems)
      }`,
    );
  }
  for (const p of problems) {
    assert.equal(p.file, path, `${label}: problems only about the torn tail`);
    assert.equal(p.line, recs.length + 1, `${label}: ${JSON.stringify(p)}`);
  }

  // --- the CLI, for a share of the trials
  if (useCli && complete > 0) {
    const cwd = join(exprag, "..");
    const flags = ["--allow-read=.exprag"];
    const runsDir = [join(exprag, "runs"), ".exprag/runs"];
    const o = await cli(cwd, flags, ["runs", "--json"]);
    assert.equal(o.code, 0, `${label}: runs: ${o.stderr}`);
    assertCleanStderr(o.stderr, runsDir, `${label}: runs`);
    const listed = JSON.parse(o.stdout);
    assert.equal(listed.length, 1, label);
    assert.equal(listed[0].status, hasEnd ? "finished" : "crashed", label);
    assert.equal(listed[0].records, complete, label);
    const v = await cli(cwd, flags, [
      "values",
      "value.i",
      "--run",
      "latest",
      "--json",
    ]);
    assert.equal(v.code, 0, `${label}: values: ${v.stderr}`);
    const vp = assertCleanStderr(v.stderr, runsDir, `${label}: values`);
    assert.equal(vp.length, torn ? 1 : 0, `${label}: ${v.stderr}`);
    if (torn) {
      assert.ok(
        vp[0].startsWith(`.exprag/runs/${runId}.jsonl:${recs.length + 1}: `),
        vp[0],
      );
    }
    const rows = JSON.parse(v.stdout);
    const list = Array.isArray(rows) ? rows : rows.rows ?? rows.values;
    assert.equal(list.length, complete, `${label}: CLI values`);
    const b = await cli(cwd, flags, ["best", "value.i", "--json"]);
    assert.equal(b.code, 0, `${label}: best: ${b.stderr}`);
    assertCleanStderr(b.stderr, runsDir, `${label}: best`);
    assert.ok(
      b.stdout.includes(runId) && b.stdout.includes(String(complete - 1)),
      `${label}: CLI best names the run and its last value`,
    );
  }
  return { tracks: complete, torn, ended: hasEnd };
}

Deno.test(`SIGKILL at random moments: ${TRIALS} trials, nothing tracked is ever lost`, async () => {
  const rng = new Rng(SEED);
  const results = await pool(
    AT_ONCE,
    Array.from({ length: TRIALS }, (_, k) => () => trial(k, rng)),
  );
  const during = results.filter((r) => r.moment !== "startup");
  assert.ok(
    during.length >= 50,
    `at least 50 kills during tracking (${during.length})`,
  );
  const sum = (f: (r: TrialResult) => number) =>
    results.reduce((n, r) => n + f(r), 0);
  const figures = {
    trials: results.length,
    killed_while_tracking: during.filter((r) => r.moment === "tracking")
      .length,
    killed_around_end: during.filter((r) => r.moment === "end").length,
    killed_at_startup: results.length - during.length,
    records_verified: sum((r) => r.tracks),
    records_acknowledged: sum((r) => r.printed + 1),
    torn_tails: sum((r) => (r.torn ? 1 : 0)),
    runs_ended_before_kill: sum((r) => (r.ended ? 1 : 0)),
    trials_checked_with_cli: sum((r) => (r.cli ? 1 : 0)),
    synthetic_torn_checks: sum((r) => (r.synthetic ? 1 : 0)),
    seed: SEED,
  };
  console.log(`kill figures: ${JSON.stringify(figures)}`);
});
