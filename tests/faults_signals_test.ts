// Every way a tracked process can end, as one table: SIGINT/SIGTERM (and
// SIGHUP) with and without handleSignals, uncaught throws of all kinds,
// unhandled rejections, Deno.exit(n), Deno.exitCode, a natural end.
//
// Each case runs the same script twice: once as a baseline without exprag
// and once with a run open. The tracked process must end exactly like the
// baseline (same exit code, same stderr; a signal it did not handle still
// kills it), and its run file must end with the documented run_end, or with
// none where documented (the reader then says `crashed`). lifecycle_test.ts
// checks single paths in detail; this table checks them all against the
// untracked behaviour, while records are being tracked.
import assert from "node:assert/strict";
import { join } from "node:path";
import { listRuns } from "../mod.ts";
import { tempDir } from "./_helpers.ts";
import {
  IMPORT_TRACKER,
  parseRunFile,
  pool,
  runFilesOf,
  spawnDenoFile,
  writeScript,
} from "./_faults.ts";

interface Case {
  name: string;
  /** Script body; `track()` records one step, `exp2` may exist (second run). */
  body: string;
  handleSignals: boolean;
  /** Sent once the child printed "ready". */
  signal?: Deno.Signal;
  /** Sent this many times (default 1). */
  repeat?: number;
  /** A second open run, without handleSignals. */
  second?: boolean;
  /** Compare only the first line of stderr (the failing frame may vary). */
  firstLine?: boolean;
  /** Expected process end. */
  code: number;
  killedBy?: Deno.Signal;
  /** Expected run_end, or null for none (reader: crashed). */
  end: {
    status: "finished" | "failed" | "interrupted";
    exit_code: number | null;
    signal?: string;
    error?: { name: string; message: RegExp };
  } | null;
}

const PRELUDE = IMPORT_TRACKER + `
const baseline = Deno.args[0] === "baseline";
const opts = JSON.parse(Deno.args[1]);
const exp = baseline ? null : new Experiment("signals", { git: false, handleSignals: opts.handleSignals });
const exp2 = baseline || !opts.second ? null : new Experiment("signals-2", { git: false });
let i = 0;
function track() { exp?.track({ i, loss: 1 / (i + 1) }); exp2?.track({ i }); i++; }
for (let k = 0; k < 50; k++) track();
`;

/** Keeps tracking from a timer, then says ready (the signal comes while tracking). */
const WAIT = `setInterval(() => { for (let k = 0; k < 20; k++) track(); }, 1);
console.log("ready");`;

const CASES: Case[] = [];
for (const [sig, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
  CASES.push({
    name: `${sig} with handleSignals`,
    body: WAIT,
    handleSignals: true,
    signal: sig,
    code,
    end: { status: "interrupted", exit_code: code, signal: sig },
  }, {
    name: `${sig} without handleSignals: killed by the signal, no run_end`,
    body: WAIT,
    handleSignals: false,
    signal: sig,
    code,
    killedBy: sig,
    end: null,
  }, {
    name: `${sig} twice in a row with handleSignals: one run_end`,
    body: WAIT,
    handleSignals: true,
    signal: sig,
    repeat: 2,
    code,
    end: { status: "interrupted", exit_code: code, signal: sig },
  }, {
    name: `${sig} with two open runs, one with handleSignals: both interrupted`,
    body: WAIT,
    handleSignals: true,
    second: true,
    signal: sig,
    code,
    end: { status: "interrupted", exit_code: code, signal: sig },
  }, {
    name:
      `${sig} without handleSignals, the app's own listener exits 3: failed, exit 3`,
    body: `Deno.addSignalListener(${
      JSON.stringify(sig)
    }, () => { console.log("app cleanup"); Deno.exit(3); });\n${WAIT}`,
    handleSignals: false,
    signal: sig,
    code: 3,
    end: { status: "failed", exit_code: 3 },
  });
}
CASES.push({
  name: "SIGHUP (never handled) with handleSignals: killed, no run_end",
  body: WAIT,
  handleSignals: true,
  signal: "SIGHUP",
  code: 129,
  killedBy: "SIGHUP",
  end: null,
});
const ERR = (name: string, message: RegExp) => ({
  status: "failed" as const,
  exit_code: 1,
  error: { name, message },
});
for (const hs of [false, true]) {
  const w = hs ? " (handleSignals)" : "";
  CASES.push(
    {
      name: `uncaught throw in a timer${w}`,
      body:
        `setTimeout(() => { track(); throw new RangeError("loss exploded"); }, 5);`,
      handleSignals: hs,
      code: 1,
      end: ERR("RangeError", /^loss exploded$/),
    },
    {
      name: `top-level throw${w}`,
      body: `throw new Error("top level");`,
      handleSignals: hs,
      code: 1,
      end: ERR("Error", /^top level$/),
    },
    {
      name: `unhandled rejection${w}`,
      body:
        `setTimeout(() => { track(); Promise.reject(new TypeError("async failure")); }, 5);`,
      handleSignals: hs,
      code: 1,
      end: ERR("TypeError", /^async failure$/),
    },
    {
      name: `unhandled rejection of an awaited top-level promise${w}`,
      body:
        `await new Promise((_, rej) => setTimeout(() => rej(new Error("awaited")), 5));`,
      handleSignals: hs,
      code: 1,
      end: ERR("Error", /^awaited$/),
    },
    {
      name: `Deno.exit(3) from inside the tracking loop${w}`,
      body: `setInterval(() => { track(); if (i > 120) Deno.exit(3); }, 1);`,
      handleSignals: hs,
      code: 3,
      end: { status: "failed", exit_code: 3 },
    },
  );
}
for (const n of [0, 1, 2, 42, 255]) {
  CASES.push({
    name: `Deno.exit(${n})`,
    body: `Deno.exit(${n});`,
    handleSignals: false,
    code: n,
    end: n === 0
      ? { status: "finished", exit_code: 0 }
      : { status: "failed", exit_code: n },
  });
}
CASES.push(
  {
    name: "Deno.exitCode = 7, then a natural end",
    body: `Deno.exitCode = 7; setTimeout(track, 5);`,
    handleSignals: false,
    code: 7,
    end: { status: "failed", exit_code: 7 },
  },
  {
    name: "a natural end after async work",
    body: `await new Promise((r) => setTimeout(r, 5)); track();`,
    handleSignals: true,
    code: 0,
    end: { status: "finished", exit_code: 0 },
  },
  {
    name: "throwing a string",
    body: `setTimeout(() => { throw "just a string"; }, 1);`,
    handleSignals: false,
    code: 1,
    end: ERR("Error", /just a string/),
  },
  {
    name: "throwing null",
    body: `setTimeout(() => { throw null; }, 1);`,
    handleSignals: false,
    code: 1,
    end: ERR("Error", /null/),
  },
  {
    name: "throwing an object whose getters throw",
    body:
      `const evil = new Error("x"); Object.defineProperty(evil, "message", { get() { throw new Error("getter"); } });
Object.defineProperty(evil, "name", { get() { throw new Error("getter"); } });
setTimeout(() => { throw evil; }, 1);`,
    handleSignals: false,
    code: 1,
    end: ERR("Error", /^$/),
  },
  {
    name: "rejecting with a circular object",
    body:
      `const o = { why: "cycle" }; o.self = o; setTimeout(() => Promise.reject(o), 1);`,
    handleSignals: false,
    code: 1,
    end: ERR("Error", /cycle|object/),
  },
  {
    name: "an uncaught stack overflow",
    firstLine: true,
    body: `function f(n) { return f(n + 1) + 1; } setTimeout(() => f(0), 1);`,
    handleSignals: false,
    code: 1,
    end: ERR("RangeError", /call stack/),
  },
);

interface Outcome {
  code: number;
  signal: Deno.Signal | null;
  stdout: string;
  stderr: string;
  cwd: string;
}

async function runOnce(
  c: Case,
  script: string,
  baseline: boolean,
): Promise<Outcome> {
  const cwd = tempDir("exprag-signals-");
  const child = spawnDenoFile(script, ["--allow-write=.exprag"], {
    cwd,
    args: [
      baseline ? "baseline" : "tracked",
      JSON.stringify({ handleSignals: c.handleSignals, second: !!c.second }),
    ],
  });
  if (c.signal !== undefined) {
    const ready = await child.stdout.until((l) => l === "ready");
    assert.equal(ready, "ready", `${c.name}: child got ready`);
    // let it track a little more, then signal it while it is tracking
    await new Promise((r) => setTimeout(r, 20));
    for (let k = 0; k < (c.repeat ?? 1); k++) child.kill(c.signal);
  }
  const { status, stderr } = await child.wait();
  return {
    code: status.code,
    signal: status.signal,
    stdout: child.stdout.all,
    stderr,
    cwd,
  };
}

/** Deno's stderr for an uncaught error, without the parts that vary per run. */
function normalize(stderr: string): string {
  // deno-lint-ignore no-control-regex
  return stderr.replace(/\x1b\[[0-9;]*m/g, "");
}

async function check(c: Case): Promise<void> {
  const script = writeScript(PRELUDE + c.body, "signals");
  const [base, tracked] = await Promise.all([
    runOnce(c, script, true),
    runOnce(c, script, false),
  ]);
  // the baseline is what the case claims, and the tracked process ends the same way
  const handled = c.end?.status === "interrupted";
  assert.equal(base.code, c.code, `${c.name}: baseline exit code`);
  assert.equal(
    base.signal,
    handled ? c.signal : c.killedBy ?? null,
    `${c.name}: baseline signal`,
  );
  assert.equal(tracked.code, c.code, `${c.name}: exit code unchanged`);
  assert.equal(
    tracked.signal,
    handled ? null : c.killedBy ?? null,
    `${c.name}: ${handled ? "handled" : "same"} signal`,
  );
  if (!handled) {
    const cut = (t: string) => c.firstLine ? t.split("\n")[0] : t;
    assert.equal(
      cut(normalize(tracked.stderr)),
      cut(normalize(base.stderr)),
      `${c.name}: stderr unchanged`,
    );
  } else {
    assert.equal(tracked.stderr, "", `${c.name}: nothing on stderr`);
  }
  assert.deepEqual(runFilesOf(join(base.cwd, ".exprag")), [], "baseline");

  const files = runFilesOf(join(tracked.cwd, ".exprag"));
  assert.equal(files.length, c.second ? 2 : 1, c.name);
  const runs = await listRuns({ dir: join(tracked.cwd, ".exprag") });
  for (const file of files) {
    const { records, torn } = parseRunFile(file);
    assert.equal(torn, null, `${c.name}: no torn line`);
    assert.equal(records[0].kind, "run_start");
    const tracks = records.filter((r) => r.kind === "track");
    assert.ok(tracks.length >= 50, c.name);
    const ends = records.filter((r) => r.kind === "run_end");
    const info = runs.find((r) => r.file === file)!;
    if (c.end === null) {
      assert.equal(ends.length, 0, `${c.name}: no run_end`);
      assert.equal(
        info.status,
        "crashed",
        `${c.name}: the reader says crashed`,
      );
      assert.equal(info.records, tracks.length, c.name);
      continue;
    }
    assert.equal(ends.length, 1, `${c.name}: exactly one run_end`);
    assert.equal(records.at(-1)!.kind, "run_end", `${c.name}: run_end last`);
    const end = ends[0].value as Record<string, unknown>;
    assert.equal(end.status, c.end.status, `${c.name}: status`);
    assert.equal(end.exit_code, c.end.exit_code, `${c.name}: exit_code`);
    assert.equal(end.signal, c.end.signal, `${c.name}: signal`);
    assert.equal(end.track_count, tracks.length, `${c.name}: track_count`);
    if (c.end.error !== undefined) {
      const err = end.error as Record<string, unknown>;
      assert.ok(err && typeof err === "object", `${c.name}: error recorded`);
      assert.equal(err.name, c.end.error.name, `${c.name}: ${err.name}`);
      assert.equal(typeof err.message, "string");
      assert.match(
        err.message as string,
        c.end.error.message,
        `${c.name}: ${err.message}`,
      );
    } else {
      assert.ok(!("error" in end), `${c.name}: no error`);
    }
    assert.equal(info.status, c.end.status, `${c.name}: the reader agrees`);
    assert.equal(info.exit_code, c.end.exit_code, c.name);
  }
  Deno.removeSync(base.cwd, { recursive: true });
  Deno.removeSync(tracked.cwd, { recursive: true });
}

Deno.test(`process endings: ${CASES.length} cases end like the untracked baseline, with the documented run_end`, async () => {
  const failures: string[] = [];
  await pool(
    3,
    CASES.map((c) => async () => {
      try {
        await check(c);
      } catch (e) {
        failures.push((e as Error).message);
      }
    }),
  );
  assert.deepEqual(failures, [], failures.join("\n\n"));
  console.log(`signal/exit figures: ${CASES.length} endings checked`);
});
