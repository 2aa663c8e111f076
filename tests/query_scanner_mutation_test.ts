// The scanner's fast path (line templates) against the plain JSON.parse
// path, on near misses: lines that differ from a learned template line by
// one edit (a character replaced, deleted or inserted, a member doubled),
// and leaves written in every JSON number form. The oracle below is written
// here, independently of src/: JSON.parse of each line, the path read with
// own-property lookups. A file the oracle finds invalid must be reported
// invalid by the scanner; a file the scanner reads must give exactly the
// oracle's values and times (Object.is: -0 and NaN included).
import { deepStrictEqual as eq, strictEqual as is } from "node:assert/strict";
import { join } from "node:path";
import { createFileScanner } from "../src/query/scanner/file_scanner.ts";
import { tempDir } from "./_helpers.ts";

/** A small deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)];
}

/** Leaf texts in every JSON number form, and the recorded non-finite ones. */
const LEAVES = [
  "0",
  "-0",
  "0.0",
  "-0.0",
  "1e400",
  "-1e400",
  "1E-7",
  "0.1e+2",
  "5e-324",
  "2.2250738585072014e-308",
  "9007199254740993",
  "123456789012345678901234567890",
  "0.30000000000000004",
  '"NaN"',
  '"Infinity"',
  '"-Infinity"',
];

/** Characters a one-character edit puts into a line. */
const EDITS = [
  '"',
  "\\",
  "{",
  "}",
  "[",
  "]",
  ",",
  ":",
  "0",
  "7",
  "-",
  "+",
  "e",
  ".",
  " ",
  "\t",
  "\r",
  "\u0001",
  "\u007f",
  "é",
  "\u2028",
  "a",
  "n",
];

function leafText(r: () => number): string {
  const x = r();
  if (x < 0.3) return pick(r, LEAVES);
  if (x < 0.6) return String(r() * 10 ** Math.floor(r() * 8 - 4));
  if (x < 0.8) return String(Math.floor(r() * 1e6) - 5e5);
  return String(-r());
}

/** A track line of one of four shapes (ours, Python's spaced and sorted keys). */
function trackLine(
  r: () => number,
  shape: number,
  runId: string,
  i: number,
): string {
  const leaf = leafText(r);
  const loss = String(r() * 3);
  const note = r() < 0.3 ? `,"note":${JSON.stringify(pick(r, NOTES))}` : "";
  switch (shape) {
    case 0: // ours
      return `{"schema_version":1,"exprag_version":"0.1.0","run_id":"${runId}","experiment_name":"e","kind":"track","created_at":"2026-01-01T00:00:00.${
        String(i % 1000).padStart(3, "0")
      }Z","elapsed_ms":${i}${note},"value":{"step":${i},"metrics":{"loss":${loss},"acc":${leaf}}}}`;
    case 1: // Python json.dumps defaults: ", " and ": "
      return `{"schema_version": 1, "run_id": "${runId}", "experiment_name": "e", "kind": "track", "created_at": "2026-01-01T00:00:00.000123+00:00", "elapsed_ms": ${i}, "value": {"step": ${i}, "metrics": {"loss": ${loss}, "acc": ${leaf}}}}`;
    case 2: // sorted keys (json.dumps(sort_keys=True))
      return `{"created_at": "2026-01-01T00:00:00+00:00", "elapsed_ms": ${
        i / 4
      }, "experiment_name": "e", "kind": "track", "run_id": "${runId}", "schema_version": 1, "value": {"metrics": {"acc": ${leaf}, "loss": ${loss}}, "step": ${i}}}`;
    default: // the leaf elsewhere, beside a list and a dotted key
      return `{"schema_version":1,"run_id":"${runId}","kind":"track","elapsed_ms":${i},"value":{"metrics.acc":${loss},"hist":[1,2,"x"],"metrics":{"acc":${leaf}},"tags":{"a":true,"b":null}}}`;
  }
}

const NUMBER_EDITS = ["0", "00", "-", "+", ".", "-0", "1"];

const NOTES = ["epoch", 'say "acc":1', "a\\b", "é\u2028", "\u0000", 'acc"}'];

/** One edit of a line: a character replaced, deleted or inserted, or a member doubled. */
function mutate(r: () => number, line: string): string {
  const k = Math.floor(r() * line.length);
  const x = r();
  if (x < 0.15) {
    // at the start or the end of a number: 01, --1, +1, .5, 1., 1e
    const starts = [...line.matchAll(/:\s*(?=[-\d])/g)];
    if (starts.length === 0) return line;
    const m = pick(r, starts);
    const at = m.index + m[0].length;
    if (r() < 0.6) {
      return line.slice(0, at) + pick(r, NUMBER_EDITS) + line.slice(at);
    }
    const end = at + /^[-+.\deE]*/.exec(line.slice(at))![0].length;
    return line.slice(0, end) + pick(r, [".", "e", "E+", "-"]) +
      line.slice(end);
  }
  if (x < 0.4) return line.slice(0, k) + pick(r, EDITS) + line.slice(k + 1);
  if (x < 0.6) return line.slice(0, k) + line.slice(k + 1);
  if (x < 0.9) return line.slice(0, k) + pick(r, EDITS) + line.slice(k);
  // a member doubled: JSON.parse keeps the last of duplicate keys
  const m = line.indexOf('"acc"');
  const e = line.indexOf("}", m);
  if (m < 0 || e < 0) return line;
  return line.slice(0, e) + ',"acc":' + leafText(r) + line.slice(e);
}

type Oracle =
  | { ok: true; values: number[]; elapsed: number[] }
  | { ok: false };

function own(o: unknown, k: string): unknown {
  return o !== null && typeof o === "object" && !Array.isArray(o) &&
      Object.hasOwn(o, k)
    ? (o as Record<string, unknown>)[k]
    : undefined;
}

/** The plain path: every line JSON.parse'd; invalid or foreign lines make the file invalid. */
function oracle(text: string): Oracle {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  const values: number[] = [];
  const elapsed: number[] = [];
  let runId: unknown = undefined;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    let rec: unknown;
    try {
      rec = JSON.parse(l);
    } catch {
      if (l.trim() === "") continue;
      return { ok: false };
    }
    if (rec === null || typeof rec !== "object" || Array.isArray(rec)) {
      return { ok: false };
    }
    const id = own(rec, "run_id");
    if (i === 0) runId = id;
    else if (runId !== undefined && id !== undefined && id !== runId) {
      return { ok: false };
    }
    if (own(rec, "kind") !== "track") continue;
    const v = own(own(own(rec, "value"), "metrics"), "acc");
    const n = typeof v === "number"
      ? v
      : v === "NaN"
      ? NaN
      : v === "Infinity"
      ? Infinity
      : v === "-Infinity"
      ? -Infinity
      : undefined;
    if (n === undefined) continue;
    const ms = own(rec, "elapsed_ms");
    values.push(n);
    elapsed.push(typeof ms === "number" ? ms : 0);
  }
  return { ok: true, values, elapsed };
}

Deno.test("scanner property: near-miss lines of a learned template give JSON.parse's answer or send the file to the exact reader", () => {
  const dir = tempDir("exprag-scan-mut-");
  const shared = createFileScanner();
  const path = "value.metrics.acc";
  let okFiles = 0, invalidFiles = 0, lines = 0;
  for (let seed = 1; seed <= 240; seed++) {
    const r = rng(seed * 104729);
    const runId = crypto.randomUUID();
    const shape = seed % 4;
    const out: string[] = [];
    const n = 60 + Math.floor(r() * 120);
    // at most two edited lines per file, so that many files stay valid
    const edited = new Set([Math.floor(r() * n), Math.floor(r() * n * 2)]);
    for (let i = 0; i < n; i++) {
      const line = trackLine(r, shape, runId, i);
      out.push(edited.has(i) ? mutate(r, line) : line);
    }
    // a record of another run, now and then
    if (r() < 0.05) {
      out.splice(
        Math.floor(r() * n),
        0,
        trackLine(r, shape, crypto.randomUUID(), 0),
      );
    }
    let text = out.join("\n") + (r() < 0.9 ? "\n" : "");
    if (r() < 0.03) text = "\ufeff" + text;
    const file = join(dir, `${seed}.jsonl`);
    Deno.writeTextFileSync(file, text);
    lines += out.length;
    const want = oracle(text);
    for (const s of [shared, createFileScanner()]) {
      const got = s.scanFile(file, path, false);
      if (!want.ok) {
        is(got.status, "invalid", `seed ${seed}: the plain path rejects it`);
        continue;
      }
      if (got.status !== "ok") {
        is(got.status, "invalid", `seed ${seed}`);
        continue;
      }
      const same = (a: ArrayLike<number>, b: number[]) =>
        a.length === b.length &&
        Array.from(a).every((x, i) => Object.is(x, b[i]));
      is(got.n, want.values.length, `seed ${seed}: count`);
      eq(
        same(got.values.subarray(0, got.n), want.values),
        true,
        `seed ${seed}: values`,
      );
      const st = s.scanStats(file, path, false);
      if (st.status !== "ok") throw new Error(`seed ${seed}: ${st.status}`);
      eq(
        st.stats === null ? [] : [st.stats.firstMs, st.stats.lastMs],
        want.elapsed.length === 0 ? [] : [want.elapsed[0], want.elapsed.at(-1)],
        `seed ${seed}: elapsed_ms of the first and last values`,
      );
    }
    if (want.ok) okFiles++;
    else invalidFiles++;
  }
  // the property is not vacuous: both kinds of files, and templates read most lines
  is(okFiles > 60, true, `${okFiles} valid files`);
  is(invalidFiles > 30, true, `${invalidFiles} invalid files`);
  is(shared.templateLines(path) > lines / 2, true);
  Deno.removeSync(dir, { recursive: true });
});
