// Reading API: the streaming record reader and run files listing.
import {
  deepStrictEqual as eq,
  ok,
  rejects,
  strictEqual as is,
} from "node:assert/strict";
import { join } from "node:path";
import { listRuns, type Problem } from "../mod.ts";
import {
  listRunFiles,
  listRunFilesAsync,
  runsDir,
} from "../src/query/files.ts";
import { readRecords } from "../src/query/reader.ts";
import { expragDir, writeDenoRun, writePythonRun } from "./_query_fixtures.ts";
import { runScript, tempDir } from "./_helpers.ts";
import {
  countNewlines,
  countNewlinesBefore,
  countNewlinesIn,
  iterLinesBackward,
  iterLinesBackwardIn,
  lastNewline,
  newlinesInWords,
  readFirstLine,
  readHead,
} from "../src/query/lines.ts";

async function collect(dir: string, strict = false) {
  const problems: Problem[] = [];
  const recs = [];
  for await (
    const r of readRecords({
      dir,
      strict,
      onProblem: (p) => problems.push(p),
    })
  ) recs.push(r);
  return { recs, problems };
}

Deno.test("reader: our shape and the Python shape, with file and 1-based line", async () => {
  const dir = expragDir();
  const a = writeDenoRun(dir, {
    tracks: [{ value: { x: 1 } }, { value: { x: 2 }, note: "two" }],
    end: "finished",
  });
  const b = writePythonRun(dir, { tracks: [{ value: { x: 3 } }] });
  const { recs, problems } = await collect(dir);
  eq(problems, []);
  const mine = recs.filter((r) => r.file === a.file);
  eq(mine.map((r) => [r.line, r.record.kind]), [
    [1, "run_start"],
    [2, "track"],
    [3, "track"],
    [4, "run_end"],
  ]);
  const py = recs.filter((r) => r.file === b.file);
  eq(py.map((r) => [r.line, r.record.kind, r.record.value]), [[
    1,
    "run_start",
    py[0].record.value,
  ], [2, "track", { x: 3 }]]);
  eq(mine[2].record.note, "two");
});

Deno.test("reader: kinds filter and explicit files", async () => {
  const dir = expragDir();
  const a = writeDenoRun(dir, {
    tracks: [{ value: { x: 1 } }],
    end: "finished",
  });
  writeDenoRun(dir, { tracks: [{ value: { x: 2 } }] });
  const recs = [];
  for await (
    const r of readRecords({ dir, files: [a.file], kinds: ["track"] })
  ) recs.push(r.record.value);
  eq(recs, [{ x: 1 }]);
});

Deno.test("reader: torn and garbage lines are skipped and reported once; others still read", async () => {
  const dir = expragDir();
  const a = writeDenoRun(dir, {
    tracks: [{ value: { x: 1 } }],
    tail: '{"schema_version":1,"kind":"track","value":{"x":',
  });
  const b = writePythonRun(dir, { tracks: [{ value: { x: 2 } }] });
  // garbage in the middle of b, and a non-object line
  const lines = Deno.readTextFileSync(b.file).split("\n");
  lines.splice(1, 0, "garbage ][", "[1,2,3]", "", "42");
  Deno.writeTextFileSync(b.file, lines.join("\n"));
  const { recs, problems } = await collect(dir);
  const byFile = (f: string) =>
    problems.filter((p) => p.file === f).map((p) => [p.line, p.reason]);
  eq(byFile(a.file), [[
    3,
    "torn line at end of file (no newline; crash mid-write?)",
  ]]);
  eq(byFile(b.file), [[2, "invalid JSON"], [3, "not a JSON object"], [
    5,
    "not a JSON object",
  ]]);
  eq(
    recs.filter((r) => r.record.kind === "track").map((r) => r.record.value)
      .sort((x, y) => JSON.stringify(x) < JSON.stringify(y) ? -1 : 1),
    [{ x: 1 }, { x: 2 }],
  );
  // the line of the Python track record after the garbage is its real line
  eq(recs.filter((r) => r.file === b.file).map((r) => r.line), [1, 6]);
});

Deno.test("reader: strict mode throws file:line: reason", async () => {
  const dir = expragDir();
  const a = writeDenoRun(dir, { tracks: [{ value: { x: 1 } }], tail: "{torn" });
  await rejects(collect(dir, true), (e: Error) => {
    is(
      e.message,
      `${a.file}:3: torn line at end of file (no newline; crash mid-write?)`,
    );
    return true;
  });
  await rejects(listRuns({ dir, strict: true }), /:3: torn line/);
});

Deno.test("reader: BOM and CRLF are accepted; empty files, directories and outside symlinks reported", async () => {
  const dir = expragDir();
  const a = writePythonRun(dir, {
    tracks: [{ value: { x: 1 } }, { value: { x: 2 } }],
  });
  const text = Deno.readTextFileSync(a.file);
  Deno.writeTextFileSync(a.file, "\uFEFF" + text.replaceAll("\n", "\r\n"));
  const runs = join(dir, "runs");
  Deno.writeTextFileSync(join(runs, "empty.jsonl"), "");
  Deno.mkdirSync(join(runs, "dir.jsonl"));
  const outside = join(tempDir(), "outside.jsonl");
  Deno.writeTextFileSync(outside, '{"kind":"run_start","run_id":"x"}\n');
  Deno.symlinkSync(outside, join(runs, "link.jsonl"));
  Deno.writeTextFileSync(join(runs, "notes.txt"), "ignored");
  const { recs, problems } = await collect(dir);
  eq(recs.map((r) => [r.line, r.record.kind]), [
    [1, "run_start"],
    [2, "track"],
    [3, "track"],
  ]);
  eq(
    problems.map((p) => [p.file.slice(runs.length + 1), p.line, p.reason])
      .sort(),
    [
      ["dir.jsonl", 0, "is a directory, not a run file"],
      ["empty.jsonl", 0, "empty file"],
      ["link.jsonl", 0, "symlink pointing outside the runs directory"],
    ],
  );
  // listRuns sees the BOM/CRLF run too
  const listed = await listRuns({ dir, onProblem: () => {} });
  eq(listed.map((r) => [r.id, r.records]), [[a.id, 2]]);
});

Deno.test("reader: the streamed directory listing gives the sync one's files, paths as join spells them, and problems", async () => {
  const dir = expragDir();
  const runs = join(dir, "runs");
  const ids = [0, 1, 2].map(() => writeDenoRun(dir, { end: "finished" }).id);
  Deno.mkdirSync(join(runs, "dir.jsonl"));
  Deno.writeTextFileSync(join(runs, "a.txt"), "ignored");
  Deno.writeTextFileSync(join(runs, "..jsonl"), "");
  const outside = join(tempDir(), "outside.jsonl");
  Deno.writeTextFileSync(outside, "{}\n");
  Deno.symlinkSync(outside, join(runs, "link.jsonl"));
  // the directory as a user may spell it: trailing slashes, `.` and `..`
  const parent = join(dir, "..");
  const base = dir.slice(parent.length + 1);
  for (
    const d of [
      dir,
      dir + "//",
      `${parent}/./${base}`,
      `${dir}/../${base}/`,
      `${parent}/./${base}/runs`, // kept as given by runsDir: join normalises
    ]
  ) {
    const p1: Problem[] = [], p2: Problem[] = [];
    const sync = listRunFiles({ dir: d, onProblem: (p) => p1.push(p) });
    const streamed = await listRunFilesAsync({
      dir: d,
      onProblem: (p) => p2.push(p),
    });
    const names = [...ids.map((id) => `${id}.jsonl`), "..jsonl"].sort();
    eq(sync, names.map((n) => join(runsDir(d), n)));
    eq(streamed, sync);
    eq(p2, p1);
    eq(p1.map((p) => p.reason).sort(), [
      "is a directory, not a run file",
      "symlink pointing outside the runs directory",
    ]);
  }
  eq(await listRunFilesAsync({ dir: join(tempDir(), "nothing-here") }), []);
});

Deno.test("reader: symlinks inside the runs dir are followed", async () => {
  const dir = expragDir();
  const a = writeDenoRun(dir, {
    tracks: [{ value: { x: 1 } }],
    end: "finished",
  });
  const runs = join(dir, "runs");
  Deno.renameSync(a.file, join(runs, "real.data"));
  Deno.symlinkSync(join(runs, "real.data"), a.file);
  const problems: Problem[] = [];
  const listed = await listRuns({ dir, onProblem: (p) => problems.push(p) });
  eq(listed.map((r) => r.id), [a.id]);
  eq(problems, []);
});

Deno.test("reader: long lines and multi-byte characters across chunk boundaries", async () => {
  const dir = expragDir();
  const big = "é🎉".repeat(400_000); // ~2.4 MB of UTF-8, longer than a 1 MiB chunk
  const tracks = [];
  for (let i = 0; i < 50; i++) {
    tracks.push({ value: { s: i % 10 === 0 ? big : "ü".repeat(i * 1000), i } });
  }
  const a = writeDenoRun(dir, { tracks });
  const { recs, problems } = await collect(dir);
  eq(problems, []);
  const got = recs.filter((r) => r.record.kind === "track").map((r) =>
    r.record.value as { s: string; i: number }
  );
  is(got.length, 50);
  for (let i = 0; i < 50; i++) {
    is(got[i].i, i);
    is(got[i].s, i % 10 === 0 ? big : "ü".repeat(i * 1000));
  }
  const runs = await listRuns({ dir });
  is(runs[0].records, 50);
  is(runs[0].file, a.file);
});

Deno.test("reader: runs dir resolution (explicit, ending in runs, EXPRAG_DIR only when granted)", async () => {
  is(runsDir("/x/y"), join("/x/y", "runs"));
  is(runsDir("/x/runs"), "/x/runs");
  is(runsDir("/x/runs/"), "/x/runs");
  const dir = expragDir();
  writeDenoRun(dir, { end: "finished" });
  eq((await listRuns({ dir: join(dir, "runs") })).length, 1);
  eq(listRunFiles({ dir: join(tempDir(), "nothing-here") }), []);
  const mod = new URL("../mod.ts", import.meta.url).href;
  const code = `import { listRuns } from ${JSON.stringify(mod)};
    import { resolveDir } from ${
    JSON.stringify(new URL("../src/query/files.ts", import.meta.url).href)
  };
    console.log(JSON.stringify([resolveDir(), (await listRuns()).length]));`;
  const cwd = join(dir, "..");
  const withEnv = await runScript(cwd, code, [
    `--allow-read=${dir}`,
    "--allow-env=EXPRAG_DIR",
  ], { env: { EXPRAG_DIR: dir } });
  is(withEnv.stderr, "");
  eq(JSON.parse(withEnv.stdout), [dir, 1]);
  // env permission not granted: EXPRAG_DIR is ignored, no prompt, default .exprag
  const noEnv = await runScript(cwd, code, [`--allow-read=${dir}`], {
    env: { EXPRAG_DIR: "/nonexistent" },
  });
  is(noEnv.stderr, "");
  eq(JSON.parse(noEnv.stdout), [".exprag", 1]);
});

Deno.test("reader: only --allow-read for the exprag dir is needed; missing read names the flag", async () => {
  const dir = expragDir();
  writePythonRun(dir, { tracks: [{ value: { m: { acc: 0.5 } } }] });
  writeDenoRun(dir, {
    tracks: [{ value: { m: { acc: 0.7 } } }],
    end: "finished",
  });
  const mod = new URL("../mod.ts", import.meta.url).href;
  const code = `import { bestRuns, listRuns, selectValues } from ${
    JSON.stringify(mod)
  };
    import { discoverPaths } from ${
    JSON.stringify(new URL("../src/query/select.ts", import.meta.url).href)
  };
    const dir = Deno.args[0];
    try {
      const runs = await listRuns({ dir });
      const best = await bestRuns("value.m.acc", { dir, by: "max" });
      const paths = await discoverPaths({ dir });
      const values = await selectValues("value.m.acc", { dir });
      console.log(JSON.stringify([runs.map((r) => r.status).sort(), best.rows[0].value, paths.length, values.length]));
    } catch (e) { console.log(e.name + ": " + e.message); }`;
  const out = await runScript(dir, code, [`--allow-read=${dir}`], {
    args: [dir],
  });
  is(out.stderr, "");
  ok(out.stdout.startsWith("["), out.stdout);
  eq(JSON.parse(out.stdout)[1], 0.7);
  const denied = await runScript(dir, code, [], { args: [dir] });
  is(denied.code, 0);
  ok(denied.stdout.includes("--allow-read="), denied.stdout);
  ok(!denied.stderr.includes("prompt"), denied.stderr);
});

Deno.test("fixtures: Python shape is serde_json's — sorted keys, its own exprag_version, nanosecond +00:00 times", () => {
  const dir = expragDir();
  const { file } = writePythonRun(dir, {
    tracks: [{ value: { b: { y: 1, x: 2 }, a: 1 }, note: "n" }],
  });
  const lines = Deno.readTextFileSync(file).trim().split("\n").map((l) =>
    JSON.parse(l)
  );
  eq(Object.keys(lines[1]), [
    "created_at",
    "elapsed_ms",
    "experiment_name",
    "exprag_version",
    "kind",
    "note",
    "run_id",
    "schema_version",
    "value",
  ]);
  eq(Object.keys(lines[1].value), ["a", "b"]);
  eq(Object.keys(lines[1].value.b), ["x", "y"]);
  eq(Object.keys(lines[0].value), ["git", "host", "process"]);
  eq(lines[0].value.git, {
    branch: "main",
    commit: "0123456789abcdef0123456789abcdef01234567",
    dirty: false,
  });
  eq(
    /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}\+00:00$/.test(lines[1].created_at),
    true,
  );
  is(typeof lines[0].exprag_version, "string");
  eq(lines.some((l) => l.kind === "run_end"), false);
});

Deno.test("reader: streams — a file larger than the V8 heap limit is read and scanned", async () => {
  const dir = expragDir();
  const id = crypto.randomUUID();
  const file = join(dir, "runs", `${id}.jsonl`);
  const f = Deno.openSync(file, { write: true, create: true });
  const enc = new TextEncoder();
  const head = JSON.stringify({
    schema_version: 1,
    run_id: id,
    experiment_name: "big",
    kind: "run_start",
    value: { host: { hostname: "x" } },
    created_at: "2026-11-20T10:00:00.123456789+00:00",
    elapsed_ms: 0,
  });
  f.writeSync(enc.encode(head + "\n"));
  const pad = "x".repeat(300);
  let batch = "";
  const N = 200_000; // ~80 MB
  for (let i = 1; i <= N; i++) {
    batch +=
      `{"schema_version":1,"run_id":"${id}","experiment_name":"big","kind":"track","value":{"step":${i},"metrics":{"acc":${
        i / N
      }},"pad":"${pad}"},"created_at":"2026-11-20T10:00:01.000000001+00:00","elapsed_ms":${i}}\n`;
    if (i % 5000 === 0) {
      f.writeSync(enc.encode(batch));
      batch = "";
    }
  }
  f.close();
  const mod = new URL("../mod.ts", import.meta.url).href;
  const code = `import { bestRuns, listRuns, selectValues } from ${
    JSON.stringify(mod)
  };
    import { readRecords } from ${
    JSON.stringify(new URL("../src/query/reader.ts", import.meta.url).href)
  };
    const dir = Deno.args[0];
    let n = 0;
    for await (const r of readRecords({ dir })) n++;
    const runs = await listRuns({ dir });
    const max = await bestRuns("value.metrics.acc", { dir, by: "max" });
    const mean = await bestRuns("value.metrics.acc", { dir, by: "mean" });
    const last = await bestRuns("value.metrics.acc", { dir });
    const vals = await selectValues("value.step", { dir, limit: 3 });
    console.log(JSON.stringify([n, runs[0].records, max.rows[0].value, mean.rows[0].count, last.rows[0].value, vals.map((v) => v.value)]));`;
  const out = await runScript(dir, code, [
    `--allow-read=${dir}`,
    "--v8-flags=--max-old-space-size=48",
  ], { args: [dir] });
  is(out.code, 0, out.stderr.slice(0, 2000));
  eq(JSON.parse(out.stdout), [N + 1, N, 1, N, 1, [1, 2, 3]]);
});

Deno.test("scan: one open per run file — head and in-memory tail equal the separate reads", () => {
  const dir = tempDir("exprag-head-");
  const enc = new TextEncoder();
  let seed = 7;
  const r = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x80000000;
  };
  const filter = enc.encode('acc"');
  const sizes = [0, 1, 100, 4000, 65535, 65536, 65537, 70000, 200000];
  let k = 0;
  for (const target of sizes) {
    for (let variant = 0; variant < 6; variant++) {
      const parts: string[] = [];
      if (variant === 1) parts.push("\ufeff");
      if (variant === 2) parts.push("x".repeat(70000) + "\n"); // long first line
      let len = parts.join("").length;
      while (len < target) {
        const line = r() < 0.1
          ? ""
          : `{"i":${len},"acc":${r()},"t":"é${
            "y".repeat(Math.floor(r() * 300))
          }"}`;
        const nl = variant === 3 ? "\r\n" : "\n";
        parts.push(line + nl);
        len += line.length + nl.length;
      }
      let text = parts.join("");
      if (variant === 4 && text.endsWith("\n")) text = text.slice(0, -1); // unterminated
      if (variant === 5) text = text.slice(0, target); // cut anywhere
      const file = join(dir, `${k++}.jsonl`);
      Deno.writeFileSync(file, enc.encode(text));
      const f = Deno.openSync(file);
      try {
        const head = readHead(f);
        const g = Deno.openSync(file);
        try {
          eq(head.first, readFirstLine(g), `${file} first line`);
        } finally {
          g.close();
        }
        const size = Deno.statSync(file).size;
        // the whole file when it fits in the head block (64 KiB)
        if (size < 65536) ok(head.whole !== null, `${file} whole`);
        if (size > 65536) is(head.whole, null, `${file} not whole`);
        for (const flt of [undefined, filter]) {
          const want = [...iterLinesBackward(file, flt)];
          eq([...iterLinesBackward(file, flt, f)], want, `${file} via fd`);
          if (head.whole !== null) {
            eq([...iterLinesBackwardIn(head.whole, flt)], want, `${file} tail`);
          }
        }
        const count = countNewlines(file);
        eq(countNewlines(file, f), count, `${file} count via fd`);
        if (head.whole !== null) eq(countNewlinesIn(head.whole), count);
      } finally {
        f.close();
      }
    }
  }
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("newline counts four bytes at a time equal a byte-by-byte count (bytes near \\n, every length and offset)", () => {
  const buf = new Uint8Array(4096);
  const words = new Int32Array(buf.buffer);
  // bytes one bit or one borrow away from \n, and the extremes
  const bytes = [0x0a, 0x0b, 0x09, 0x00, 0x01, 0x8a, 0x7f, 0x80, 0xff, 0x2a];
  let seed = 12345;
  const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
  for (let round = 0; round < 300; round++) {
    const n = rand() % buf.length;
    for (let i = 0; i < n; i++) buf[i] = bytes[rand() % bytes.length];
    let expected = 0;
    for (let i = 0; i < n; i++) if (buf[i] === 10) expected++;
    if (newlinesInWords(buf, words, n) !== expected) {
      throw new Error(`round ${round}: n ${n}`);
    }
  }
  buf.fill(10);
  if (newlinesInWords(buf, words, 4095) !== 4095) throw new Error("all \\n");
  // through the files: across reads of the 1 MiB buffer
  const dir = tempDir("exprag-newlines-");
  const file = join(dir, "f.jsonl");
  const text = Array.from({ length: 70_000 }, (_, i) => "x".repeat(i % 37))
    .join("\n");
  Deno.writeTextFileSync(file, text);
  const all = countNewlines(file);
  if (all.newlines !== 69_999 || all.endsWithNewline) {
    throw new Error(JSON.stringify(all));
  }
  const offset = 1_234_567;
  const before = text.slice(0, offset).split("\n").length - 1;
  if (countNewlinesBefore(file, offset) !== before) throw new Error("before");
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("lastNewline finds the last \\n before a position as lastIndexOf does, at any alignment and length", () => {
  let seed = 12345;
  const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
  // bytes whose XOR with \n leaves a zero in a neighbour's bits (0x8a,
  // 0x0b, 0x00) next to newlines and plain text
  const bytes = [10, 0x8a, 0x0b, 0x00, 0x09, 0xff, 0x0a ^ 0x80, 65];
  const big = new Uint8Array(20_000);
  for (let round = 0; round < 3_000; round++) {
    const off = rand() % 7, n = rand() % 6_000;
    const data = big.subarray(off, off + n);
    const dense = rand() % 100;
    for (let i = 0; i < n; i++) {
      data[i] = rand() % 1000 < dense ? 10 : bytes[1 + rand() % 7];
    }
    for (let end = n; end >= 0; end -= 1 + rand() % 300) {
      const expected = end > 0 ? data.lastIndexOf(10, end - 1) : -1;
      is(
        lastNewline(data, end),
        expected,
        `round ${round}: ${off}+${n}@${end}`,
      );
    }
  }
  // a 40 KB line without \n, and one at each end
  const line = new Uint8Array(40_001).fill(65);
  is(lastNewline(line, line.length), -1);
  line[0] = 10;
  is(lastNewline(line, line.length), 0);
  line[40_000] = 10;
  is(lastNewline(line, line.length), 40_000);
  is(lastNewline(line, 40_000), 0);
});
