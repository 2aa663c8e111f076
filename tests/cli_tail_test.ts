// `exprag tail`: the latest values of finished runs, and `--follow` on real
// tracker processes that finish, are SIGKILLed, or outlive the timeout.
import {
  deepStrictEqual,
  match,
  ok,
  strictEqual as equal,
} from "node:assert/strict";
import { join } from "node:path";
import { cli, tableObjects } from "./_cli_fixtures.ts";
import { CLI_URL, denoRunArgs, IMPORT_TRACKER, tempDir } from "./_helpers.ts";
import { spawnReady } from "./_query_fixtures.ts";

const R = ["--allow-read=.exprag"];
const decoder = new TextDecoder();

/**
 * Starts a real tracker writing to `cwd`/.exprag that tracks `first`
 * records, prints "ready", then tracks `more` records (each ~`bytes` bytes)
 * every `gapMs` ms and ends normally; `more: Infinity` tracks until killed.
 */
async function tracker(
  cwd: string,
  first: number,
  more: number,
  o: { bytes: number; gapMs: number },
): Promise<Deno.ChildProcess> {
  const dir = JSON.stringify(join(cwd, ".exprag"));
  const { child } = await spawnReady(`${IMPORT_TRACKER}
using exp = new Experiment("tail", { git: false, dir: ${dir} });
const pad = "x".repeat(${o.bytes});
let step = 0;
const track = () => {
  const s = step++;
  exp.track({ step: s, metrics: { loss: 1 / (s + 1) }, pad });
};
for (let i = 0; i < ${first}; i++) track();
console.log("ready");
for (let i = 0; i < ${more}; i++) {
  await new Promise((r) => setTimeout(r, ${o.gapMs}));
  track();
}
`);
  return child;
}

/** Runs `exprag tail` as a process (not awaited: it runs beside the tracker). */
function tailProcess(cwd: string, args: string[]) {
  return new Deno.Command(Deno.execPath(), {
    args: denoRunArgs(R, CLI_URL, ["tail", ...args]),
    cwd,
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).output().then((o) => ({
    code: o.code,
    stdout: decoder.decode(o.stdout),
    stderr: decoder.decode(o.stderr),
  }));
}

function ndjson(stdout: string): Record<string, unknown>[] {
  return stdout.trimEnd().split("\n").map((l) => JSON.parse(l));
}

Deno.test("tail: a finished run's last records, curves of its numeric paths, and its status", async () => {
  const cwd = tempDir("exprag-tail-");
  const child = await tracker(cwd, 30, 0, { bytes: 10, gapMs: 0 });
  equal((await child.status).code, 0);
  const o = await cli(cwd, R, ["tail", "latest", "--lines", "3"]);
  equal(o.code, 0, o.stderr);
  equal(o.stderr, "");
  const [records, curves, status] = o.stdout.trimEnd().split("\n\n");
  const rows = tableObjects(records);
  deepStrictEqual(rows.map((r) => r["value.step"]), ["27", "28", "29"]);
  deepStrictEqual(rows.map((r) => r.line), ["29", "30", "31"]);
  ok("elapsed_ms" in rows[0]);
  ok("value.pad" in rows[0]); // the last record's paths by default
  const c = tableObjects(curves.split("\nstatus:")[0]);
  deepStrictEqual(c.map((r) => r.path), ["value.step", "value.metrics.loss"]);
  equal(c[0].count, "30");
  equal(c[0].curve.length, 24);
  match(c[0].curve, /^▁.*█$/u);
  match(c[1].curve, /^█.*▁$/u);
  match(status ?? o.stdout, /^status: finished \(30 records; /m);

  const words = "tail latest value.metrics.loss --lines 2 --json".split(" ");
  const j = await cli(cwd, R, words);
  equal(j.code, 0, j.stderr);
  const lines = ndjson(j.stdout);
  equal(lines.length, 3);
  deepStrictEqual(lines[1].values, { "value.metrics.loss": 1 / 30 });
  equal(lines[1].line, 31);
  equal(lines[2].kind, "status");
  equal(lines[2].status, "finished");
  const curvesJson = lines[2].curves as { path: string; curve: string }[];
  deepStrictEqual(curvesJson.map((x) => x.path), ["value.metrics.loss"]);
});

Deno.test("tail --follow: a live tracker's ~20 KB records, each exactly once, never torn, until it finishes", async () => {
  const cwd = tempDir("exprag-tail-follow-");
  const n = 60;
  const child = await tracker(cwd, 1, n - 1, { bytes: 20_000, gapMs: 15 });
  const o = await tailProcess(cwd, [
    "latest",
    "value.step",
    "--follow",
    "--lines",
    "1000",
    "--every-ms",
    "5",
    "--json",
  ]);
  equal((await child.status).code, 0);
  equal(o.code, 0, o.stderr);
  equal(o.stderr, ""); // no torn-line warning, no note
  const lines = ndjson(o.stdout);
  const steps = lines.filter((l) => l.kind === "track").map((l) =>
    (l.values as Record<string, number>)["value.step"]
  );
  deepStrictEqual(steps, Array.from({ length: n }, (_, i) => i));
  const last = lines.at(-1)!;
  equal(last.kind, "status");
  equal(last.status, "finished");
  equal(last.records, n);
});

Deno.test("tail --follow: a tracker SIGKILLed meanwhile ends the follow as crashed (exit 1)", async () => {
  const cwd = tempDir("exprag-tail-kill-");
  const child = await tracker(cwd, 3, Infinity, { bytes: 2_000, gapMs: 20 });
  const tail = tailProcess(cwd, ["latest", "--follow", "--every-ms", "20"]);
  await new Promise((r) => setTimeout(r, 1500));
  child.kill("SIGKILL");
  await child.status;
  const o = await tail;
  equal(o.code, 1, o.stdout + o.stderr);
  equal(o.stderr, "");
  match(o.stdout, /^status: crashed \(no run_end/m);
  const rows = tableObjects(o.stdout.split("\n\n")[0]);
  const steps = rows.map((r) => Number(r["value.step"]));
  deepStrictEqual(steps, steps.map((_, i) => steps[0] + i)); // none twice, none left out
  ok(steps.length > 3, o.stdout);
});

Deno.test("tail --follow --timeout: a run still running after S seconds ends the follow with a note (exit 0)", async () => {
  const cwd = tempDir("exprag-tail-timeout-");
  const child = await tracker(cwd, 2, Infinity, { bytes: 100, gapMs: 50 });
  try {
    const started = Date.now();
    const o = await tailProcess(cwd, [
      "latest",
      "value.metrics.loss",
      "--follow",
      "--timeout",
      "1",
    ]);
    ok(Date.now() - started < 10_000);
    equal(o.code, 0, o.stderr);
    equal(o.stderr, "exprag: note: still running after 1 s\n");
    match(o.stdout, /^status: running \(a live process holds/m);
    match(o.stdout, /^value\.metrics\.loss\t\d+\t/m); // its curve
  } finally {
    child.kill("SIGKILL");
    await child.status;
  }
});

Deno.test("tail: PATHs are checked before reading; a finished run is not followed", async () => {
  const cwd = tempDir("exprag-tail-args-");
  const child = await tracker(cwd, 2, 0, { bytes: 10, gapMs: 0 });
  await child.status;
  const bad = await cli(cwd, R, ["tail", "latest", "metrics.loss"]);
  equal(bad.code, 2);
  match(bad.stderr, /expected a track value path/);
  const f = await cli(cwd, R, ["tail", "latest", "value.step", "--follow"]);
  equal(f.code, 0, f.stderr);
  match(f.stdout, /^status: finished/m);
});

Deno.test("tail --follow: a run with no track record yet takes its columns from the first one that arrives", async () => {
  const cwd = tempDir("exprag-tail-empty-");
  const child = await tracker(cwd, 0, 8, { bytes: 10, gapMs: 150 });
  const o = await tailProcess(cwd, ["latest", "--follow", "--every-ms", "20"]);
  equal((await child.status).code, 0);
  equal(o.code, 0, o.stderr);
  const rows = tableObjects(o.stdout.split("\n\n")[0]);
  deepStrictEqual(rows.map((r) => r["value.step"]), [
    ..."01234567",
  ]);
  match(o.stdout, /^status: finished \(8 records; /m);
});
