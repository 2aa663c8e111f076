// The scanner's factories, each on the main thread (src/query/scanner/):
// the walker, the template compiler and its set, the chunked file scanner,
// the composed worker source and the pool. The property tests comparing
// them with SummaryBuilder live in query_summary_test.ts.
import { deepStrictEqual as eq, strictEqual as is } from "node:assert/strict";
import { join } from "node:path";
import { bestRuns } from "../mod.ts";
import { runStats } from "../src/query/stats.ts";
import {
  createLeafBuffer,
  LEAF_BUFFER_START,
} from "../src/query/scanner/leaf_buffer.ts";
import { collectRecord, walkLeaves } from "../src/query/scanner/walker.ts";
import { pathNeedle, scanTarget } from "../src/query/scanner/target.ts";
import {
  compileTemplate,
  TEMPLATE_MAX_LINE,
} from "../src/query/scanner/template.ts";
import {
  createTemplateSet,
  GIVE_UP_MISSES,
} from "../src/query/scanner/template_set.ts";
import {
  createFileScanner,
  DECODE_PIECE_BYTES,
  type FileScanner,
  READ_CHUNK_BYTES,
} from "../src/query/scanner/file_scanner.ts";
import {
  declaration,
  scannerSource,
  workerSource,
} from "../src/query/scanner/worker_source.ts";
import { createScanPool } from "../src/query/scanner/pool.ts";
import { prestartScan, releaseScan } from "../src/query/scanner.ts";
import { parsePath } from "../src/value_path.ts";
import { SummaryBuilder } from "../src/summary.ts";
import { expragDir, writePythonRun } from "./_query_fixtures.ts";
import { tempDir } from "./_helpers.ts";

const BOTH = { "val.acc": 1, val: { acc: 2 } };

function leaves(value: unknown, path: string): number[] {
  const sink = createLeafBuffer();
  walkLeaves(value, scanTarget(path).segs, 0, 0, sink);
  return sink.toArray();
}

/** A run file of `n` track lines, `value(i)` each. */
function runFile(
  dir: string,
  n: number,
  value: (i: number) => unknown,
): string {
  const file = join(dir, `${crypto.randomUUID()}.jsonl`);
  const lines = Array.from({ length: n }, (_, i) =>
    JSON.stringify({
      schema_version: 1,
      run_id: "r1",
      kind: "track",
      elapsed_ms: i,
      value: value(i),
    }) + "\n");
  Deno.writeTextFileSync(file, lines.join(""));
  return file;
}

function values(s: FileScanner, file: string, path: string): number[] {
  const r = s.scanFile(file, path, false);
  is(r.status, "ok");
  return r.status === "ok" ? Array.from(r.values) : [];
}

Deno.test("walker: a key holding a dot and the nested key are two paths", () => {
  eq(leaves(BOTH, 'value."val.acc"'), [1]);
  eq(leaves(BOTH, "value.val.acc"), [2]);
  eq(leaves({ "val.acc": 1 }, "value.val.acc"), []);
});

Deno.test("walker: [] follows every list element, and a key named [] only when quoted", () => {
  const v = {
    h: [{ l: 1 }, { l: "NaN" }, { l: "x" }, { l: 3 }],
    "[]": { l: 7 },
  };
  eq(leaves(v, "value.h.[].l"), [1, NaN, 3]);
  eq(leaves(v, 'value."[]".l'), [7]);
  eq(leaves(v, "value.[].l"), []);
  eq(leaves([[1, 2], [3]], "value.[].[]"), [1, 2, 3]);
});

Deno.test("walker: own keys only, recorded numbers converted, other records ignored", () => {
  const own = JSON.parse('{"__proto__": {"a": 5}, "b": "-Infinity"}');
  eq(leaves(own, "value.__proto__.a"), [5]);
  eq(leaves({ b: 1 }, "value.__proto__"), []);
  eq(leaves({ b: 1 }, "value.constructor"), []);
  eq(leaves(own, "value.b"), [-Infinity]);
  const sink = createLeafBuffer();
  is(collectRecord({ kind: "run_end", value: { a: 1 } }, ["a"], sink), false);
  is(
    collectRecord(
      { kind: "track", elapsed_ms: 9, value: { a: 1 } },
      ["a"],
      sink,
    ),
    true,
  );
  eq(sink.take(), { n: 1, values: new Float64Array([1]) });
});

Deno.test("leaf buffer: grows past its start size and starts over when cleared", () => {
  const b = createLeafBuffer();
  for (let i = 0; i < LEAF_BUFFER_START * 2 + 3; i++) b.push(i, -i);
  is(b.count, LEAF_BUFFER_START * 2 + 3);
  const t = b.take();
  is(t.values[LEAF_BUFFER_START * 2 + 2], LEAF_BUFFER_START * 2 + 2);
  b.clear();
  b.push(42, 1);
  eq(b.toArray(), [42]);
});

Deno.test("target: paths are read with value_path's syntax and give the line needle", () => {
  eq(scanTarget('value."val.acc"').segs, ["val.acc"]);
  eq(scanTarget("value").segs, []);
  is(scanTarget("value.h.[].l").lists, true);
  is(pathNeedle('value."val.acc"'), 'val.acc"');
  is(pathNeedle("value.metrics.acc"), 'acc"');
  is(pathNeedle("value.h.[]"), undefined);
  is(pathNeedle("value"), undefined);
  let threw = false;
  try {
    scanTarget("metrics.acc");
  } catch (e) {
    threw = e instanceof RangeError;
  }
  is(threw, true);
});

const LINE =
  '{"run_id":"r1","kind":"track","elapsed_ms":12,"value":{"note":"a","m":{"acc":0.5,"l":[1,2]}}}\n';

Deno.test("template: a compiled line matches lines of its shape and captures leaf, run id and time", () => {
  const t = compileTemplate(LINE, 0, LINE.length - 1, parsePath("m.acc"));
  if (t === null) throw new Error("no template");
  const other =
    '{"run_id":"r2","kind":"track","elapsed_ms":7,"value":{"note":"b\\n","m":{"acc":"NaN","l":[3]}}}\n';
  t.re.lastIndex = 0;
  const m = t.re.exec(other)!;
  is(m[t.id], "r2");
  is(m[t.ms], "7");
  is(m[t.num], undefined);
  is(m[t.num + 1], "NaN");
  is(t.re.lastIndex, other.length);
  for (
    const miss of [
      other.replace('"note"', '"nota"'), // another key
      other.replace('"track"', '"run_end"'),
      other.replace('"NaN"', '"nan"'), // not a number
      other.replace('"b\\n"', '"b\\x"'), // invalid JSON
    ]
  ) {
    t.re.lastIndex = 0;
    is(t.re.exec(miss), null, miss);
  }
});

Deno.test("template: a dotted key beside the path is a slot; lists, duplicates and escapes on the path make none", () => {
  const dotted = JSON.stringify({ kind: "track", value: BOTH }) + "\n";
  const t = compileTemplate(
    dotted,
    0,
    dotted.length - 1,
    parsePath("val.acc"),
  )!;
  const line = JSON.stringify({
    kind: "track",
    value: { "val.acc": 8, val: { acc: 9 } },
  }) + "\n";
  t.re.lastIndex = 0;
  is(t.re.exec(line)![t.num], "9");
  const none = (s: string, path: string) =>
    is(compileTemplate(s, 0, s.length - 1, parsePath(path)), null, s);
  none('{"kind":"track","value":{"h":[{"a":1}]}}\n', "h.[].a");
  none('{"kind":"track","value":{"a":1,"a":2}}\n', "a");
  none('{"kind":"track","value":{"\\u0061":1}}\n', "a");
  none('{"kind":"track","kind":"track","value":{"a":1}}\n', "a");
  none('{"kind":"run_end","value":{"a":1}}\n', "a");
  const long = `{"kind":"track","value":{"a":1,"s":"${
    "x".repeat(TEMPLATE_MAX_LINE)
  }"}}\n`;
  none(long, "a");
});

Deno.test("template: each compilation has its own state (a failed one leaves nothing behind)", () => {
  const segs = parsePath("m.acc");
  const alone = compileTemplate(LINE, 0, LINE.length - 1, segs)!;
  const bad = '{"kind":"track","value":{"m":{"acc":1,"x":[1,{"y":\n';
  is(compileTemplate(bad, 0, bad.length - 1, segs), null);
  const again = compileTemplate(LINE, 0, LINE.length - 1, segs)!;
  is(again.re.source, alone.re.source);
  eq([again.id, again.ms, again.num], [alone.id, alone.ms, alone.num]);
});

Deno.test("template set: learns from the first exact line, reads the next ones, gives up on misses", () => {
  const ts = createTemplateSet(parsePath("m.acc"));
  const sink = createLeafBuffer();
  ts.begin();
  is(ts.read(LINE, 0, "r1", sink), -1); // nothing learned yet
  ts.learn(LINE, 0, LINE.length - 1);
  const text = LINE + LINE.replace("0.5", "0.75");
  is(ts.read(text, LINE.length, "r1", sink), text.length);
  eq(sink.toArray(), [0.75]);
  is(ts.read(text, 0, "another-run", sink), -1);
  ts.end();
  is(ts.lines, 1);
  ts.begin();
  for (let i = 0; i < GIVE_UP_MISSES; i++) ts.read("{}\n", 0, undefined, sink);
  is(ts.useful(), false);
});

Deno.test('scanner: a record with both {"val.acc": 1} and {val: {acc: 2}} yields two distinct series', async () => {
  const dir = tempDir("exprag-scan-dotted-");
  const v = (i: number) => ({ "val.acc": i, val: { acc: 1000 + i } });
  const file = runFile(dir, 300, v);
  const s = createFileScanner();
  const dotted = values(s, file, 'value."val.acc"');
  const nested = values(s, file, "value.val.acc");
  eq(dotted, Array.from({ length: 300 }, (_, i) => i));
  eq(nested, Array.from({ length: 300 }, (_, i) => 1000 + i));
  // read by templates, and the same keys as SummaryBuilder's
  is(s.templateLines('value."val.acc"') > 200, true);
  const b = new SummaryBuilder();
  for (let i = 0; i < 300; i++) b.add(v(i), i);
  eq(Object.keys(b.toJSON()), ['value."val.acc"', "value.val.acc"]);
  // and through the reading API, on a run without run_end
  const exprag = expragDir();
  const run = writePythonRun(exprag, {
    tracks: [{ value: BOTH }, { value: { "val.acc": 3, val: { acc: 4 } } }],
  });
  const stats = await runStats(run.id, { dir: exprag });
  // the Python shape sorts keys ("val" before "val.acc"): first seen first
  eq(Object.keys(stats.paths), ["value.val.acc", 'value."val.acc"']);
  is(stats.paths['value."val.acc"'].max, 3);
  is(stats.paths["value.val.acc"].max, 4);
  const best = await bestRuns('value."val.acc"', { dir: exprag, by: "first" });
  is(best.rows[0].value, 1);
  const last = await bestRuns("value.val.acc", { dir: exprag, by: "last" });
  is(last.rows[0].value, 4);
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("file scanner: lines longer than a read chunk, texts split in pieces, a torn last line", () => {
  const dir = tempDir("exprag-scan-chunks-");
  const s = createFileScanner();
  // a line longer than the buffer, then many short ones (several pieces)
  const pad = "x".repeat(READ_CHUNK_BYTES + 10);
  const n = Math.ceil((3 * DECODE_PIECE_BYTES) / 60);
  const file = runFile(dir, n, (i) => i === 0 ? { acc: -1, pad } : { acc: i });
  eq(values(s, file, "value.acc"), [
    -1,
    ...Array.from({ length: n - 1 }, (_, i) => i + 1),
  ]);
  // a BOM, and an unterminated last line that parses
  const bom = join(dir, "bom.jsonl");
  Deno.writeTextFileSync(
    bom,
    '\ufeff{"run_id":"r","kind":"track","value":{"acc":1}}\n{"run_id":"r","kind":"track","value":{"acc":2}}',
  );
  eq(values(s, bom, "value.acc"), [1, 2]);
  // a torn one is invalid (the reporting reader takes over)
  Deno.writeTextFileSync(
    bom,
    '{"kind":"track","value":{"acc":1}}\n{"kind":"track","val',
  );
  is(s.scanFile(bom, "value.acc", false).status, "invalid");
  is(
    s.scanFile(join(dir, "missing.jsonl"), "value.acc", false).status,
    "error",
  );
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("file scanner: firstOnly stops at the first leaf; valuesOf reads one record", () => {
  const dir = tempDir("exprag-scan-first-");
  const file = runFile(dir, 500, (i) => i < 3 ? { b: i } : { acc: i, b: i });
  const s = createFileScanner();
  const r = s.scanFile(file, "value.acc", true);
  is(r.status, "ok");
  if (r.status === "ok") eq([r.n, r.values[0]], [1, 3]);
  const st = s.scanStats(file, "value.acc", true);
  if (st.status !== "ok" || st.stats === null) throw new Error("no stats");
  eq([st.stats.count, st.stats.first, st.stats.firstMs], [1, 3, 3]);
  eq(
    s.valuesOf({ kind: "track", value: { h: [1, "Infinity"] } }, "value.h.[]"),
    [1, Infinity],
  );
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("worker source: the composed scanner runs with no module scope and agrees with the modules", () => {
  const dir = tempDir("exprag-scan-source-");
  const file = runFile(
    dir,
    400,
    (i) => ({ m: { acc: i / 4, h: [i, -i] }, "m.acc": 1 }),
  );
  // evaluated as a plain script: a name missing from the source throws
  const make = new Function(
    `${scannerSource()}\nreturn createFileScanner;`,
  )() as () => FileScanner;
  const composed = make();
  const direct = createFileScanner();
  for (
    const path of ["value.m.acc", 'value."m.acc"', "value.m.h.[]", "value"]
  ) {
    eq(
      composed.scanFile(file, path, false),
      direct.scanFile(file, path, false),
      path,
    );
    const stats = composed.scanStats(file, path, false);
    eq(stats, direct.scanStats(file, path, false), path);
    is(stats.status === "ok" && stats.stats !== null, path !== "value", path);
  }
  is(composed.templateLines("value.m.acc") > 300, true);
  is(workerSource().includes("self.onmessage"), true);
  let threw = false;
  try {
    declaration("x", new Map());
  } catch (e) {
    threw = e instanceof TypeError;
  }
  is(threw, true);
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("pool: workers only when there is enough to read and not for firstOnly", async () => {
  const dir = tempDir("exprag-scan-pool-");
  const files = Array.from({ length: 3 }, () => {
    const file = runFile(dir, 50, (i) => ({ acc: i }));
    return { file, bytes: Deno.statSync(file).size };
  });
  const small = createScanPool(createFileScanner(), { workers: 2 });
  is((await small.scanFiles(files, "value.acc", false)).length, 3);
  is(small.workerFiles, 0);
  const eager = createScanPool(createFileScanner(), {
    workers: 2,
    parallelBytes: 0,
    mainThread: false,
  });
  const first = await eager.scanFiles(files, "value.acc", true);
  is(eager.workerFiles, 0);
  eq(first.map((r) => r.status === "ok" ? r.stats?.count : -1), [1, 1, 1]);
  const all = await eager.scanFiles(files, "value.acc", false);
  is(eager.workerFiles, 3);
  eq(all.map((r) => r.status === "ok" ? r.stats?.count : -1), [50, 50, 50]);
  eq(all.map((r) => r.status === "ok" ? r.stats?.max : -1), [49, 49, 49]);
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("pool: a prestarted job serves the scan that asks for part of it, and a file outside it", async () => {
  const dir = tempDir("exprag-scan-prestart-");
  const sized = (file: string) => ({ file, bytes: Deno.statSync(file).size });
  const files = Array.from(
    { length: 6 },
    (_, k) => sized(runFile(dir, 40 + k, (i) => ({ acc: i * (k + 1) }))),
  );
  const outside = sized(runFile(dir, 7, (i) => ({ acc: -i })));
  const asked = [files[4], outside, files[1], files[4]];
  const expected = asked.map((f) =>
    createFileScanner().scanStats(f.file, "value.acc", false)
  );
  for (const mainThread of [true, false]) {
    const pool = createScanPool(createFileScanner(), {
      workers: 1,
      parallelBytes: 0,
      mainThread,
    });
    pool.prestart(files, "value.acc");
    eq(await pool.scanFiles(asked, "value.acc", false), expected);
    // without the main thread, the answers came from the prestarted worker
    if (!mainThread) {
      if (pool.workerFiles < 2 || pool.workerFiles > files.length) {
        throw new Error(`workers scanned ${pool.workerFiles} files`);
      }
    }
    // another path: the prestarted work is dropped, the answer the same
    pool.prestart(files, "value.other");
    eq(await pool.scanFiles(asked, "value.acc", false), expected);
    // a prestart that no scan takes over is stopped
    pool.prestart(files, "value.acc");
    pool.release();
    eq(await pool.scanFiles(asked, "value.acc", false), expected);
  }
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("prestartScan and releaseScan leave best's answers unchanged", async () => {
  const dir = tempDir("exprag-scan-prestart-dir-");
  const runs = join(dir, "runs");
  Deno.mkdirSync(runs);
  for (let k = 0; k < 3; k++) {
    const id = `r${k}`;
    const lines = [
      { schema_version: 1, run_id: id, kind: "run_start", elapsed_ms: 0 },
      ...Array.from({ length: 30 }, (_, i) => ({
        schema_version: 1,
        run_id: id,
        kind: "track",
        elapsed_ms: i + 1,
        value: { acc: ((i * 7 + k * 3) % 11) / 10 },
      })),
    ];
    Deno.writeTextFileSync(
      join(runs, `${id}.jsonl`),
      lines.map((l) => JSON.stringify(l) + "\n").join(""),
    );
  }
  const plain = await bestRuns("value.acc", { dir, by: "max", top: 3 });
  await prestartScan(dir, "value.acc");
  releaseScan();
  const again = await bestRuns("value.acc", { dir, by: "max", top: 3 });
  eq(again, plain);
  eq(plain.rows.map((r) => r.value), [1, 1, 1]);
  Deno.removeSync(dir, { recursive: true });
});
