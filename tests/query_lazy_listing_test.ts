// A listing leaves run_start and run_end in their files (issue 12): the
// values read back on demand must equal the parsed lines, and one path read
// from a summary's text must equal the whole summary's, whatever the keys.
import {
  deepStrictEqual as deepEqual,
  strictEqual as equal,
} from "node:assert/strict";
import { join } from "node:path";
import { bestRuns, Experiment, listRuns } from "../mod.ts";
import { formatRecord } from "../src/record.ts";
import { SummaryBuilder } from "../src/summary.ts";
import { recordedStart } from "../src/query/lazy_run.ts";
import { parseRunEndWithoutSummary } from "../src/query/lazy_summary.ts";
import { CLI_URL, MOD_URL, run, runScript, tempDir } from "./_helpers.ts";

/** The `value` of each line of a run file, parsed. */
function values(file: string): Record<string, unknown>[] {
  return Deno.readTextFileSync(file).trimEnd().split("\n").map((l) =>
    JSON.parse(l).value
  );
}

const ODD_KEYS = [
  'a","summary_truncated":{',
  "m1",
  "m10",
  "ünï cødé",
  "sp ace",
  "}",
  "summary",
];

Deno.test("a listed run's start and end equal its file's lines, key order and wide summaries included", async () => {
  const dir = tempDir("exprag-lazy-");
  const exp = new Experiment("wide", { dir, git: false, metadata: { lr: 1 } });
  for (let s = 0; s < 3; s++) {
    const metrics: Record<string, number> = {};
    for (let k = 0; k < 300; k++) metrics[`m${k}`] = k + s;
    for (const k of ODD_KEYS) metrics[k] = s - 1;
    exp.track({ step: s, metrics });
  }
  exp.end({ error: new Error('with a summary: {"summary":{}}') });
  const [r] = await listRuns({ dir });
  const [start, , , , end] = values(exp.path);
  equal(JSON.stringify(r.start), JSON.stringify(start));
  equal(JSON.stringify(r.end), JSON.stringify(end));
  deepEqual(r.end?.summary, (end as { summary: unknown }).summary);
  deepEqual(r.metadata, { lr: 1 });
  equal(r.status, "failed");
  // every path, read alone from the summary's text, as in the whole summary
  const summary = (end as { summary: Record<string, { max: number }> })
    .summary;
  for (const k of ["m0", "m1", "m10", "m299", ...ODD_KEYS]) {
    const path = `value.metrics.${/^\w+$/.test(k) ? k : JSON.stringify(k)}`;
    const best = await bestRuns(path, { dir, by: "max", status: "any" });
    equal(best.rows.length, 1, path);
    equal(best.rows[0].source, "summary", path);
    const key = Object.keys(summary).find((s) =>
      s.endsWith(k) || s.endsWith(JSON.stringify(k))
    )!;
    equal(best.rows[0].value, summary[key].max, path);
  }
  equal(
    (await bestRuns("value.metrics.nope", { dir, status: "any" })).rows.length,
    0,
  );
  Deno.removeSync(dir, { recursive: true });
});

Deno.test('run_end lines in other layouts are read whole: summary first, a nested "summary" before it, a summary_truncated key inside it', async () => {
  const dir = tempDir("exprag-lazy-");
  const runs = join(dir, "runs");
  Deno.mkdirSync(runs, { recursive: true });
  const b = new SummaryBuilder();
  const pad = "x".repeat(300); // long enough for the split to be tried
  b.add({ acc: 0.5, pad: 1 }, 1);
  const layouts: Record<string, unknown>[] = [
    // the summary first, summary_truncated nowhere
    { summary: b.toJSON(), status: "finished", note: pad, track_count: 1 },
    // a nested "summary" key before the real one
    {
      status: "failed",
      error: { name: "E", message: pad, summary: { "value.acc": 1 } },
      track_count: 1,
      summary: b.toJSON(),
      summary_truncated: false,
    },
    // a summary_truncated inside the summary's keys, then the real one
    {
      status: "finished",
      track_count: 1,
      summary: { ...b.toJSON(), 'x"': { summary_truncated: pad } },
      summary_truncated: false,
    },
  ];
  const ids: string[] = [];
  layouts.forEach((value, i) => {
    const id = crypto.randomUUID();
    ids.push(id);
    const head = { schema_version: 1, run_id: id, experiment_name: "l" };
    const t = `2026-11-20T10:0${i}:00.000Z`;
    const lines = [
      { ...head, kind: "run_start", created_at: t, elapsed_ms: 0, value: {} },
      {
        ...head,
        kind: "track",
        created_at: t,
        elapsed_ms: 1,
        value: { acc: 0.5, pad: 1 },
      },
      { ...head, kind: "run_end", created_at: t, elapsed_ms: 2, value },
    ].map((r) => formatRecord(r));
    Deno.writeTextFileSync(join(runs, `${id}.jsonl`), lines.join("\n") + "\n");
  });
  const listed = await listRuns({ dir });
  deepEqual(listed.map((r) => r.id), ids);
  listed.forEach((r, i) => {
    equal(JSON.stringify(r.end), JSON.stringify(layouts[i]), `layout ${i}`);
  });
  const best = await bestRuns("value.acc", { dir, status: "any", top: 10 });
  deepEqual(best.rows.map((r) => [r.value, r.source]), [
    [0.5, "summary"],
    [0.5, "summary"],
    [0.5, "summary"],
  ]);
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("values --limit N on a run without run_end shows the first N rows, and a path recorded only later is still found", async () => {
  const dir = tempDir("exprag-lazy-");
  const exprag = join(dir, ".exprag");
  const exp = new Experiment("long", { dir: exprag, git: false });
  for (let s = 0; s < 500; s++) {
    exp.track(s < 400 ? { step: s } : { step: s, late: s * 2 });
  }
  // no end(): the file stays without run_end (the process exits below)
  const flags = ["run", "--no-prompt", `--allow-read=${exprag}`, CLI_URL];
  const cwd = dir;
  const all = await run(Deno.execPath(), [
    ...flags,
    "values",
    "value.step",
    "--run",
    "latest",
    "--limit",
    "1000",
  ], { cwd });
  const ten = await run(Deno.execPath(), [
    ...flags,
    "values",
    "value.step",
    "--run",
    "latest",
    "--limit",
    "10",
    "--every",
    "3",
  ], { cwd });
  equal(ten.code, 0, ten.stderr);
  const rows = all.stdout.trimEnd().split("\n");
  const want = [rows[0], ...rows.slice(1).filter((_, i) => i % 3 === 0)]
    .slice(0, 11);
  // the same rows; the column widths follow the rows shown
  deepEqual(
    ten.stdout.trimEnd().split("\n").map((l) => l.split(/\s+/).join(" ")),
    want.map((l) => l.split(/\s+/).join(" ")),
  );
  const late = await run(Deno.execPath(), [
    ...flags,
    "values",
    "value.step",
    "value.late",
    "--run",
    "latest",
    "--limit",
    "5",
  ], { cwd });
  equal(late.code, 0, late.stderr);
  equal(late.stdout.trimEnd().split("\n").length, 6);
  exp.end();
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("recordedStart() of a listed run whose file was removed since the listing is null (run.start would be {})", async () => {
  const dir = tempDir("exprag-lazy-gone-");
  const a = new Experiment("a", { dir, git: false, metadata: { lr: 1 } });
  a.track({ acc: 1 });
  a.end();
  const b = new Experiment("b", { dir, git: false, metadata: { lr: 2 } });
  b.end();
  const runs = await listRuns({ dir });
  const ra = runs.find((r) => r.name === "a")!;
  const rb = runs.find((r) => r.name === "b")!;
  deepEqual(recordedStart(rb)?.metadata, { lr: 2 });
  Deno.removeSync(a.path);
  equal(recordedStart(ra), null);
  deepEqual(ra.start, {});
  // a file replaced by another run's is not this run's either
  Deno.copyFileSync(b.path, a.path);
  equal(recordedStart(ra), null);
  deepEqual(recordedStart(rb)?.metadata, { lr: 2 });
});

Deno.test("a run_end line parsed without its summary is the whole line's record less value.summary, or left to the whole parse", () => {
  const b = new SummaryBuilder();
  const metrics: Record<string, number> = {};
  for (let k = 0; k < 200; k++) metrics[`m${k}`] = k;
  for (const k of ODD_KEYS) metrics[k] = -1;
  b.add({ metrics }, 1);
  const head = { schema_version: 1, run_id: "r", experiment_name: "l" };
  const pad = "x".repeat(300);
  const values: Record<string, unknown>[] = [
    {
      status: "finished",
      track_count: 1,
      summary: b.toJSON(),
      summary_truncated: false,
    },
    {
      status: "failed",
      error: { message: '"summary":{' + pad },
      summary: b.toJSON(),
      summary_truncated: true,
    },
    { summary: b.toJSON(), status: "finished" }, // no summary_truncated after it
    { status: "finished", summary: [pad], summary_truncated: false }, // not an object
  ];
  const split = values.map((value) => {
    const line = formatRecord({
      ...head,
      kind: "run_end",
      created_at: "t",
      elapsed_ms: 2,
      value,
    });
    const rec = parseRunEndWithoutSummary(line);
    if (rec === undefined) return undefined;
    const whole = JSON.parse(line);
    delete whole.value.summary;
    deepEqual(rec, whole);
    equal("summary" in (rec.value as object), false);
    return true;
  });
  deepEqual(split, [true, true, undefined, undefined]);
});

Deno.test("listed runs' starts re-read through one reused buffer stay each run's own, short and long first lines alike", async () => {
  const dir = tempDir("exprag-lazy-");
  const sizes = new Map<string, number>();
  for (const n of [10, 9_000, 100, 15_000, 3_000]) {
    const exp = new Experiment("s", {
      dir,
      git: false,
      metadata: { pad: "p".repeat(n) },
    });
    exp.end();
    sizes.set(exp.runId, n);
  }
  const runs = await listRuns({ dir });
  equal(runs.length, sizes.size);
  for (const r of [...runs, ...runs.toReversed()]) {
    equal(JSON.stringify(r.start), JSON.stringify(values(r.file)[0]));
    equal((r.metadata as { pad: string }).pad.length, sizes.get(r.id));
  }
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("listed runs' ends keep fast properties and share one hidden class (an accessor added over a parsed field made each a dictionary: old-generation garbage until a full GC), and keep a __proto__ key as data", async () => {
  const dir = tempDir("exprag-lazy-");
  for (let r = 0; r < 3; r++) {
    const exp = new Experiment("shape", { dir, git: false });
    const metrics: Record<string, number> = {};
    for (let k = 0; k < 50; k++) metrics[`m${k}`] = k + r;
    exp.track({ metrics });
    exp.end();
  }
  // a run_end of another writer's layout, with a "__proto__" key before the summary
  const runs = join(dir, "runs");
  const file = [...Deno.readDirSync(runs)][0].name;
  const lines = Deno.readTextFileSync(join(runs, file)).trimEnd().split("\n");
  const end = JSON.parse(lines[lines.length - 1]);
  const id = crypto.randomUUID();
  const proto = '{"polluted":true}';
  const rewritten = [lines[0], lines[lines.length - 1]].map((l) =>
    l.replaceAll(end.run_id, id)
  );
  rewritten[1] = rewritten[1].replace(
    '"value":{',
    `"value":{"__proto__":${proto},`,
  );
  Deno.writeTextFileSync(
    join(runs, `${id}.jsonl`),
    rewritten.join("\n") + "\n",
  );
  const script = `
import { listRuns } from ${JSON.stringify(MOD_URL)};
const sameMap = new Function("a", "b", "return %HaveSameMap(a, b)");
const fast = new Function("a", "return %HasFastProperties(a)");
const runs = (await listRuns({ dir: Deno.args[0] })).filter((r) => r.id !== Deno.args[1]);
const ends = runs.map((r) => r.end);
const odd = (await listRuns({ dir: Deno.args[0] })).find((r) => r.id === Deno.args[1]).end;
console.log(JSON.stringify({
  runs: runs.length,
  same: ends.slice(1).map((e) => sameMap(ends[0], e)),
  fast: ends.map((e) => fast(e)),
  summaries: ends.map((e) => Object.keys(e.summary).length),
  oddOwn: Object.hasOwn(odd, "__proto__"),
  oddProto: Object.getPrototypeOf(odd) === Object.prototype,
  oddKeys: Object.keys(odd)[0],
  oddSummary: Object.keys(odd.summary).length,
}));
`;
  const out = await runScript(dir, script, [
    "-A",
    "--v8-flags=--allow-natives-syntax",
  ], { args: [dir, id] });
  equal(out.code, 0, out.stderr);
  deepEqual(JSON.parse(out.stdout), {
    runs: 3,
    same: [true, true],
    fast: [true, true, true],
    summaries: [50, 50, 50],
    oddOwn: true,
    oddProto: true,
    oddKeys: "__proto__",
    oddSummary: 50,
  });
  Deno.removeSync(dir, { recursive: true });
});
