// The record format (src/record.ts), the summary path rule, the one /proc
// reader and the default directory.
import assert from "node:assert/strict";
import { join } from "node:path";
import { expragDir } from "../src/dir.ts";
import { flattenObject } from "../src/flatten.ts";
import {
  bootId,
  parseStartTicks,
  procUnavailable,
  readProcFile,
  startTicks,
} from "../src/procfs.ts";
import {
  formatRecord,
  isRecordKind,
  LINE_END,
  RECORD_KEYS,
  RECORD_KINDS,
  RecordFramer,
} from "../src/record.ts";
import { SummaryBuilder } from "../src/summary.ts";
import { Experiment } from "../src/tracker/experiment.ts";
import { readJsonl, ROOT, runScript, tempDir } from "./_helpers.ts";

const ID = "3f2a9c1e-0000-4000-8000-000000000000";

Deno.test("record: a framed line has the keys in RECORD_KEYS order, the note optional, the value last", () => {
  const frame = new RecordFramer(ID, 'na"me');
  const t = "2026-01-01T00:00:00.000Z";
  const plain = frame.line("track", t, 12, { loss: 1 });
  const noted = frame.line("run_end", t, 13, [1], 'after "x"');
  for (const line of [plain, noted]) {
    assert.ok(line.endsWith(LINE_END));
    const keys = Object.keys(JSON.parse(line));
    const order = RECORD_KEYS.filter((k) => keys.includes(k));
    assert.deepEqual(keys, order);
    assert.equal(keys.at(-1), "value");
  }
  assert.deepEqual(JSON.parse(noted).note, 'after "x"');
  assert.equal(JSON.parse(plain).note, undefined);
  assert.equal(
    plain,
    formatRecord({
      schema_version: 1,
      exprag_version: "0.1.0",
      run_id: ID,
      experiment_name: 'na"me',
      kind: "track",
      created_at: t,
      elapsed_ms: 12,
      value: { loss: 1 },
    }) + "\n",
    "the framer and formatRecord give the same bytes",
  );
  assert.equal(
    frame.head("track", t, 12) + JSON.stringify({ loss: 1 }) + LINE_END,
    plain,
  );
});

Deno.test("record: formatRecord orders any object as records are ordered, sorted for the Python shape", () => {
  const fields = {
    value: 1,
    extra: true,
    kind: "track",
    note: undefined,
    schema_version: 1,
  };
  assert.equal(
    formatRecord(fields),
    '{"schema_version":1,"kind":"track","extra":true,"value":1}',
  );
  assert.equal(
    formatRecord(fields, { keyOrder: "sorted" }),
    '{"extra":true,"kind":"track","schema_version":1,"value":1}',
  );
  assert.equal(
    formatRecord(fields, { keyOrder: ["kind", "value", "schema_version"] }),
    '{"kind":"track","value":1,"schema_version":1,"extra":true}',
  );
});

Deno.test("record: the kinds", () => {
  assert.deepEqual([...RECORD_KINDS], ["run_start", "track", "run_end"]);
  for (const k of RECORD_KINDS) assert.ok(isRecordKind(k));
  for (const k of ["", "Track", null, 1, "run"]) assert.ok(!isRecordKind(k));
});

Deno.test("record: every line the tracker writes has the keys in RECORD_KEYS order", () => {
  const dir = join(tempDir(), ".exprag");
  const exp = new Experiment("order", { dir, git: false, metadata: { a: 1 } });
  exp.track({ x: 1 }, { note: "n" });
  exp.track({ x: 2 });
  exp.end();
  const recs = readJsonl(exp.path);
  assert.deepEqual(recs.map((r) => r.kind), [
    "run_start",
    "track",
    "track",
    "run_end",
  ]);
  for (const r of recs) {
    const keys = Object.keys(r);
    assert.deepEqual(keys, RECORD_KEYS.filter((k) => keys.includes(k)));
  }
});

Deno.test('summary: {"val.acc": 1} and {val: {acc: 2}} are two distinct summary entries (builder and tracker)', () => {
  const b = new SummaryBuilder();
  b.add({ "val.acc": 1 }, 1);
  b.add({ val: { acc: 2 } }, 2);
  b.add({ "": 3, "[]": [4], "a b": 5 }, 3);
  const s = b.toJSON();
  assert.deepEqual(Object.keys(s).sort(), [
    'value.""',
    'value."[]".[]',
    'value."a b"',
    'value."val.acc"',
    "value.val.acc",
  ]);
  assert.equal(s['value."val.acc"'].last, 1);
  assert.equal(s["value.val.acc"].last, 2);

  const dir = join(tempDir(), ".exprag");
  const exp = new Experiment("dots", { dir, git: false });
  exp.track({ "val.acc": 1 });
  exp.track({ val: { acc: 2 } });
  exp.end();
  const end = readJsonl(exp.path).at(-1)!.value as {
    summary: Record<string, { count: number; last: number }>;
  };
  assert.deepEqual(Object.keys(end.summary).sort(), [
    'value."val.acc"',
    "value.val.acc",
  ]);
  assert.equal(end.summary['value."val.acc"'].last, 1);
  assert.equal(end.summary["value.val.acc"].last, 2);
  assert.equal(end.summary["value.val.acc"].count, 1);
});

Deno.test("procfs: with every permission, /proc is read (Linux)", () => {
  if (Deno.build.os !== "linux") return;
  assert.equal(procUnavailable(), null);
  assert.match((bootId() as { value: string }).value, /^[0-9a-f-]{36}$/);
  const self = startTicks("self");
  assert.ok("value" in self && self.value > 0);
  assert.equal(
    parseStartTicks("1 (a) b) R " + "0 ".repeat(18) + "777 0"),
    777,
  );
});

Deno.test("procfs: without --allow-all nothing under /proc is touched; the reason names --allow-all", async () => {
  if (Deno.build.os !== "linux") return;
  const procfs = new URL("../src/procfs.ts", import.meta.url).href;
  const code = `import * as p from ${JSON.stringify(procfs)};
console.log(JSON.stringify([p.procUnavailable(), p.bootId(), p.readProcFile("/proc/self/stat"), p.processExists(1)]));`;
  // read granted everywhere but not all: Deno would throw NotCapable on /proc
  const out = await runScript(tempDir(), code, [
    "--allow-read",
    "--allow-run",
    "--allow-env",
    "--allow-sys",
    "--allow-write",
    "--allow-net",
    "--allow-ffi",
  ]);
  assert.equal(out.code, 0, out.stderr);
  const [why, boot, stat, exists] = JSON.parse(out.stdout);
  assert.match(why, /--allow-all/);
  assert.match(boot.unavailable, /boot_id only with all permissions/);
  assert.match(stat.unavailable, /\/proc\/self\/stat only with/);
  assert.match(exists.unavailable, /--allow-all/);
  assert.ok("value" in readProcFile("/proc/self/stat"));
});

Deno.test("dir: an explicit directory, else EXPRAG_DIR when granted, else .exprag", async () => {
  assert.equal(expragDir("/tmp/x"), "/tmp/x");
  const dir = new URL("../src/dir.ts", import.meta.url).href;
  const code = `import { expragDir } from ${JSON.stringify(dir)};
console.log(JSON.stringify([expragDir(), expragDir("")]));`;
  const env = { EXPRAG_DIR: "/tmp/from-env" };
  const granted = await runScript(tempDir(), code, [
    `--allow-read=${ROOT}`,
    "--allow-env=EXPRAG_DIR",
  ], { env });
  assert.deepEqual(JSON.parse(granted.stdout), [
    "/tmp/from-env",
    "/tmp/from-env",
  ]);
  const denied = await runScript(tempDir(), code, [`--allow-read=${ROOT}`], {
    env,
  });
  assert.deepEqual(JSON.parse(denied.stdout), [".exprag", ".exprag"]);
});

Deno.test("flatten: nested objects to path/leaf pairs; lists whole, {} a leaf, dotted keys quoted", () => {
  assert.deepEqual(
    flattenObject({ lr: 0.1, opt: { name: "adam", b: {} }, "a.b": [1] }, "m"),
    [["m.lr", 0.1], ["m.opt.name", "adam"], ["m.opt.b", {}], ['m."a.b"', [1]]],
  );
  assert.deepEqual(flattenObject(5, "m"), [["m", 5]]);
  assert.deepEqual(flattenObject(null, "m"), [["m", null]]);
});
