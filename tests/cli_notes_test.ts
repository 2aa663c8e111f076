// Agents write back: `exprag note` and `exprag tag` append to
// .exprag/notes/<run_id>.jsonl (never to the run file, never through a
// symlink, nothing lost when several agents write at once), and every
// reader shows what was written: show, runs, --json, --where, readNotes.
import {
  deepStrictEqual,
  match,
  ok,
  strictEqual as equal,
} from "node:assert/strict";
import { join } from "node:path";
import {
  cli,
  oneLine,
  RUN_A,
  RUN_B,
  tableObjects,
  twoRunRepo,
} from "./_cli_fixtures.ts";
import { denoRunArgs, readJsonl, run, tempDir } from "./_helpers.ts";
import { resolveRun } from "../mod.ts";
import { readNotes } from "../src/query/mod.ts";
import { EXPRAG_VERSION } from "../src/version.ts";

const READ = ["--allow-read=.exprag"];
const WRITE = ["--allow-read=.exprag", "--allow-write=.exprag/notes"];

/** Runs each write-back call in turn under the minimal flags; each must succeed. */
async function writeBack(repo: string, calls: string[][]): Promise<void> {
  for (const args of calls) {
    const o = await cli(repo, WRITE, args);
    equal(o.code, 0, `${args.join(" ")}: ${o.stderr}`);
  }
}

function notesFile(repo: string, id: string): string {
  return join(repo, ".exprag", "notes", `${id}.jsonl`);
}

Deno.test("note and tag: one JSON line each in .exprag/notes/<run_id>.jsonl; the run file is untouched", async () => {
  const { repo, dir } = twoRunRepo();
  const runFile = join(dir, "runs", `${RUN_B}.jsonl`);
  const before = Deno.readFileSync(runFile);
  const n = await cli(repo, WRITE, [
    "note",
    "latest",
    "diverged: lr too high",
    "--author",
    "claude",
  ]);
  equal(n.code, 0, n.stderr);
  equal(n.stderr, "");
  equal(
    n.stdout,
    `noted run ${RUN_B} (.exprag/notes/${RUN_B}.jsonl)\n`,
  );
  const t = await cli(repo, WRITE, [
    "tag",
    RUN_B.slice(0, 8),
    "verdict=diverged",
  ]);
  equal(t.code, 0, t.stderr);
  match(t.stdout, new RegExp(`^tagged run ${RUN_B} verdict=diverged `));
  deepStrictEqual(Deno.readFileSync(runFile), before);
  const lines = readJsonl(notesFile(repo, RUN_B));
  equal(lines.length, 2);
  deepStrictEqual(Object.keys(lines[0]), [
    "schema_version",
    "exprag_version",
    "run_id",
    "kind",
    "created_at",
    "author",
    "text",
  ]);
  deepStrictEqual(
    { ...lines[0], created_at: "" },
    {
      schema_version: 1,
      exprag_version: EXPRAG_VERSION,
      run_id: RUN_B,
      kind: "note",
      created_at: "",
      author: "claude",
      text: "diverged: lr too high",
    },
  );
  match(
    lines[0].created_at as string,
    /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/,
  );
  // no author given: no author key
  deepStrictEqual(
    { ...lines[1], created_at: "" },
    {
      schema_version: 1,
      exprag_version: EXPRAG_VERSION,
      run_id: RUN_B,
      kind: "tag",
      created_at: "",
      key: "verdict",
      value: "diverged",
    },
  );
  // --json prints the file and the record written
  const j = await cli(repo, WRITE, [
    "note",
    RUN_A,
    "--json",
    "--",
    "-0.2 acc: worse",
  ]);
  equal(j.code, 0, j.stderr);
  const o = JSON.parse(j.stdout);
  equal(o.file, `.exprag/notes/${RUN_A}.jsonl`);
  equal(o.record.text, "-0.2 acc: worse");
  equal(o.record.run_id, RUN_A);
});

Deno.test("note and tag: an unknown run is exit 1, a malformed KEY=VALUE or empty text exit 2; nothing is written", async () => {
  const { repo } = twoRunRepo();
  for (
    const [args, code] of [
      [["note", "cccccccc", "text"], 1],
      [["tag", "cccccccc", "a=b"], 1],
      [["tag", "latest", "verdict"], 2],
      [["tag", "latest", "=x"], 2],
      [["tag", "latest", "1bad=x"], 2],
      [["tag", "latest", "a.b=x"], 2],
      [["tag", "latest", "k=two\nlines"], 2],
      [["note", "latest", "  "], 2],
      [["note", "latest", "x".repeat(16 * 1024 + 1)], 2],
      [["note", "latest", "x", "--author", ""], 2],
      [["note", "latest"], 2],
      [["tag", "latest", "a=b", "c=d"], 2],
    ] as const
  ) {
    const o = await cli(repo, WRITE, [...args]);
    equal(o.code, code, `${args.join(" ")}: ${o.stderr}`);
    oneLine(o.stderr);
    equal(o.stdout, "");
  }
  let exists = true;
  try {
    Deno.lstatSync(join(repo, ".exprag", "notes"));
  } catch {
    exists = false;
  }
  ok(!exists, "no notes directory created by refused calls");
});

Deno.test("tag: the last value of a key wins; KEY= removes it; --where tags.KEY selects runs", async () => {
  const { repo } = twoRunRepo();
  await writeBack(repo, [
    ["tag", RUN_A, "verdict=ok"],
    ["tag", RUN_B, "verdict=ok"],
    ["tag", RUN_B, "verdict=diverged"],
    ["tag", RUN_B, "lr=too_high"],
    ["tag", RUN_B, "lr="],
    ["note", RUN_B, "loss went NaN at step 2"],
  ]);
  const removed = await cli(repo, WRITE, ["tag", RUN_A, "gone="]);
  match(removed.stdout, new RegExp(`^removed tag gone of run ${RUN_A} `));
  const ids = async (...where: string[]) => {
    const o = await cli(repo, READ, ["runs", "--json", ...where]);
    equal(o.code, 0, o.stderr);
    return JSON.parse(o.stdout).map((r: { id: string }) => r.id);
  };
  deepStrictEqual(await ids("--where", "tags.verdict", "=", "diverged"), [
    RUN_B,
  ]);
  deepStrictEqual(await ids("--where", "tags.verdict = ok"), [RUN_A]);
  deepStrictEqual(await ids("--where", "tags.lr ~ ."), []);
  deepStrictEqual(await ids("--where", "notes ~ NaN"), [RUN_B]);
  deepStrictEqual(await ids("--where", "tags.verdict != diverged"), [RUN_A]);
  // best and the other filtering commands take the same clauses
  const best = await cli(repo, READ, [
    "best",
    "value.metrics.acc",
    "--json",
    "--where",
    "tags.verdict=ok",
  ]);
  equal(best.code, 0, best.stderr);
  equal(JSON.parse(best.stdout).rows[0].run.id, RUN_A);
  const j = JSON.parse((await cli(repo, READ, ["runs", "--json"])).stdout);
  deepStrictEqual(j.map((r: { tags: unknown }) => r.tags), [
    { verdict: "diverged" },
    { verdict: "ok" },
  ]);
  deepStrictEqual(
    j.map((r: { notes: { text: string }[] }) => r.notes.map((n) => n.text)),
    [["loss went NaN at step 2"], []],
  );
});

Deno.test("runs and show display tags and notes, and need only --allow-read=.exprag to read them", async () => {
  const { repo } = twoRunRepo();
  const plain = await cli(repo, READ, ["runs"]);
  const header = plain.stdout.split("\n")[0].split("\t");
  ok(!header.includes("tags") && !header.includes("notes"), header.join());
  await writeBack(repo, [
    ["tag", RUN_B, "verdict=diverged"],
    ["note", RUN_B, "lr too high", "--author", "me"],
    ["note", RUN_B, "rerun with lr 0.01"],
  ]);
  const rows = tableObjects((await cli(repo, READ, ["runs"])).stdout);
  deepStrictEqual(
    rows.map((r) => [r.id, r.tags, r.notes]),
    [[RUN_B, '{"verdict":"diverged"}', "2"], [RUN_A, "{}", "0"]],
  );
  const show = await cli(repo, READ, ["show", RUN_B]);
  equal(show.code, 0, show.stderr);
  ok(show.stdout.includes("\ntags.verdict\tdiverged\n"), show.stdout);
  const sections = show.stdout.split("\n\n");
  const notes = tableObjects(sections[1]);
  deepStrictEqual(notes.map((n) => [n.author, n.note]), [
    ["me", "lr too high"],
    ["", "rerun with lr 0.01"],
  ]);
  match(notes[0].note_at, /^\d{4}-.*Z$/);
  const j = JSON.parse(
    (await cli(repo, READ, ["show", RUN_B, "--json"])).stdout,
  );
  deepStrictEqual(j.run.tags, { verdict: "diverged" });
  deepStrictEqual(j.run.notes.map((n: { author: unknown }) => n.author), [
    "me",
    null,
  ]);
  // the other run shows no notes section
  equal(
    (await cli(repo, READ, ["show", RUN_A])).stdout.split("\n\n").length,
    2,
  );
});

Deno.test("note: 8 processes writing at once lose nothing and never interleave", async () => {
  const { repo } = twoRunRepo();
  // 8 CLI processes at once, each a long note
  const texts = Array.from(
    { length: 8 },
    (_, i) => `${i}:` + `${i}`.repeat(12_000),
  );
  const outs = await Promise.all(
    texts.map((t, i) =>
      cli(repo, WRITE, ["note", RUN_B, t, "--author", `agent${i}`])
    ),
  );
  for (const o of outs) equal(o.code, 0, o.stderr);
  const lines = readJsonl(notesFile(repo, RUN_B));
  deepStrictEqual(lines.map((l) => l.text).sort(), [...texts].sort());
  // 8 processes × 250 appends through the writer, of varying lengths
  const script = join(tempDir("exprag-notes-"), "w.ts");
  Deno.writeTextFileSync(
    script,
    `import { appendNotesRecord } from ${
      JSON.stringify(new URL("../src/cli/note_writer.ts", import.meta.url).href)
    };
import { makeNotesRecord } from ${
      JSON.stringify(new URL("../src/note_record.ts", import.meta.url).href)
    };
const who = Deno.args[0];
for (let i = 0; i < 250; i++) {
  appendNotesRecord(".exprag", makeNotesRecord(${
      JSON.stringify(RUN_A)
    }, { kind: "note", text: who + " " + i + " " + "x".repeat((i * 37) % 3000) }));
}
`,
  );
  const procs = await Promise.all(
    Array.from({ length: 8 }, (_, i) =>
      run(
        Deno.execPath(),
        denoRunArgs(WRITE, script, [`p${i}`]),
        { cwd: repo },
      )),
  );
  for (const p of procs) equal(p.code, 0, p.stderr);
  const text = Deno.readTextFileSync(notesFile(repo, RUN_A));
  ok(text.endsWith("\n"));
  const got = text.trimEnd().split("\n").map((l) =>
    JSON.parse(l).text as string
  );
  equal(got.length, 8 * 250);
  for (let p = 0; p < 8; p++) {
    const mine = got.filter((t) => t.startsWith(`p${p} `)).map((t) =>
      Number(t.split(" ")[1])
    );
    deepStrictEqual(
      mine,
      Array.from({ length: 250 }, (_, i) => i),
      `p${p} in order, complete`,
    );
  }
  const shown = JSON.parse((await cli(repo, READ, ["runs", "--json"])).stdout);
  equal(shown.find((r: { id: string }) => r.id === RUN_A).notes.length, 2000);
});

Deno.test("note and tag refuse a symlinked notes directory or notes file; the link's target is untouched", async () => {
  for (const what of ["dir", "file", "dangling"] as const) {
    const { repo } = twoRunRepo();
    const outside = tempDir("exprag-notes-outside-");
    const target = join(outside, `${RUN_B}.jsonl`);
    Deno.writeTextFileSync(target, "precious\n");
    const notes = join(repo, ".exprag", "notes");
    if (what === "dir") Deno.symlinkSync(outside, notes);
    else {
      Deno.mkdirSync(notes);
      Deno.symlinkSync(
        what === "file" ? target : join(outside, "missing.jsonl"),
        join(notes, `${RUN_B}.jsonl`),
      );
    }
    for (const args of [["note", RUN_B, "x"], ["tag", RUN_B, "k=v"]]) {
      const o = await cli(repo, [...WRITE, `--allow-write=${outside}`], args);
      equal(o.code, 1, `${what}: ${o.stdout}${o.stderr}`);
      // the error is the last line; before it, the reader may have reported
      // the link as a skipped file (`path: reason`), as every listing does
      const lines = o.stderr.trimEnd().split("\n");
      match(
        lines.at(-1)!,
        /^exprag: refusing to write notes to .*symbolic link/,
      );
      ok(lines.length <= 2, o.stderr);
      equal(o.stdout, "");
    }
    equal(Deno.readTextFileSync(target), "precious\n");
    let created = true;
    try {
      Deno.lstatSync(join(outside, "missing.jsonl"));
    } catch {
      created = false;
    }
    ok(!created, `${what}: nothing created through the link`);
    // readers never follow it either: the run shows no notes, and a problem line
    const r = await cli(repo, READ, ["runs", "--json"]);
    equal(r.code, 0, r.stderr);
    ok(
      JSON.parse(r.stdout).every((x: { notes: unknown[] }) =>
        x.notes.length === 0
      ),
    );
    match(r.stderr, /notes|symbolic link|regular file/);
  }
});

Deno.test("readNotes and resolveRun: the reading API returns tags, notes and the full history; bad lines are reported", async () => {
  const { repo, dir } = twoRunRepo();
  await writeBack(repo, [
    ["tag", RUN_B, "verdict=ok"],
    ["tag", RUN_B, "verdict="],
    ["tag", RUN_B, "seed=3"],
    ["note", RUN_B, "fine"],
  ]);
  Deno.writeTextFileSync(
    join(dir, "notes", `${RUN_B}.jsonl`),
    '{"torn\n{"schema_version":1,"run_id":"someone-else","kind":"note","created_at":"x","text":"y"}\n',
    { append: true },
  );
  const problems: string[] = [];
  const onProblem = (p: { line: number; reason: string }) =>
    problems.push(`${p.line}: ${p.reason}`);
  const run = await resolveRun(RUN_B, { dir, onProblem });
  deepStrictEqual(run.tags, { seed: "3" });
  deepStrictEqual(run.notes?.map((n) => n.text), ["fine"]);
  const all = await readNotes(run, { dir, onProblem });
  deepStrictEqual(all.records.map((r) => r.kind), [
    "tag",
    "tag",
    "tag",
    "note",
  ]);
  deepStrictEqual(all.tags, { seed: "3" });
  equal(all.file, join(dir, "notes", `${RUN_B}.jsonl`));
  ok(problems.includes("5: invalid JSON (torn line?)"), problems.join("\n"));
  ok(
    problems.some((p) => p.startsWith("6: run_id is not")),
    problems.join("\n"),
  );
  deepStrictEqual((await readNotes(RUN_A, { dir })).records, []);
});

Deno.test("note with --dir DIR needs write on DIR/notes only, named in a one-line error", async () => {
  const { repo } = twoRunRepo();
  Deno.renameSync(join(repo, ".exprag"), join(repo, "exp"));
  const args = ["--dir", "exp", "note", "latest", "checked"];
  const missing = await cli(repo, ["--allow-read=exp"], args);
  equal(missing.code, 1);
  equal(
    oneLine(missing.stderr),
    "exprag: note: write permission for exp/notes not granted; add --allow-write=exp/notes",
  );
  const o = await cli(
    repo,
    ["--allow-read=exp", "--allow-write=exp/notes"],
    args,
  );
  equal(o.code, 0, o.stderr);
  equal(
    readJsonl(join(repo, "exp", "notes", `${RUN_B}.jsonl`))[0].text,
    "checked",
  );
});
