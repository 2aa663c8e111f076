// Concurrency: 8 processes × 5,000 records into one exprag directory, all
// released at the same moment; and 8 runs starting at once in the same
// dirty repository while the user's git keeps taking index.lock and
// packed-refs.lock. No interleaved or lost bytes, every snapshot distinct
// and exact, no lock failure reaching the user.
import assert from "node:assert/strict";
import { join } from "node:path";
import { bestRuns, listRuns, type Problem, selectValues } from "../mod.ts";
import { git, makeRepo, tempDir } from "./_helpers.ts";
import {
  IMPORT_TRACKER,
  MOD_URL,
  parseRunFile,
  runFilesOf,
  spawnDeno,
} from "./_faults.ts";

const PROCS = 8;
const RECORDS = 5000;

/** Waits until `go` exists, so that every child starts writing at once. */
const BARRIER = `
const go = Deno.args[1];
console.log("waiting");
while (true) { try { Deno.statSync(go); break; } catch { await new Promise((r) => setTimeout(r, 1)); } }
`;

Deno.test(`${PROCS} processes × ${RECORDS} records into one directory: every byte in place`, async () => {
  const cwd = tempDir("exprag-conc-");
  const go = join(cwd, "go");
  // Records of varied sizes (some far above PIPE_BUF and the page size),
  // with notes and NaN, so that a record split or interleaved shows.
  const code = IMPORT_TRACKER + BARRIER + `
const p = Number(Deno.args[0]);
const exp = new Experiment("proc-" + p, { git: false, metadata: { p } });
const blob = String.fromCharCode(97 + p).repeat(70_000);
for (let seq = 0; seq < ${RECORDS}; seq++) {
  const v = { p, seq, loss: seq % 997 === 0 ? NaN : 1 / (seq + 1), tag: "é€😀".repeat(seq % 13) };
  if (seq % 500 === 7) v.blob = blob;
  exp.track(v, seq % 3 === 0 ? { note: "p" + p + " seq " + seq } : undefined);
  if (seq % 250 === 0) await new Promise((r) => setTimeout(r, 0));
}
exp.end();
`;
  const children = Array.from(
    { length: PROCS },
    (_, p) =>
      spawnDeno(code, [`--allow-write=.exprag,${go}`, `--allow-read=${go}`], {
        cwd,
        args: [String(p), go],
        name: "conc",
      }),
  );
  for (const c of children) {
    assert.equal(await c.stdout.line(), "waiting");
  }
  Deno.writeTextFileSync(go, "");
  const ends = await Promise.all(children.map((c) => c.wait()));
  for (const e of ends) {
    assert.equal(e.status.code, 0, e.stderr);
    assert.equal(e.stderr, "");
  }

  const exprag = join(cwd, ".exprag");
  const files = runFilesOf(exprag);
  assert.equal(files.length, PROCS);
  const seen = new Set<number>();
  let written = 0;
  for (const file of files) {
    const { records, torn } = parseRunFile(file);
    assert.equal(torn, null, `${file}: ends with a newline`);
    assert.equal(records.length, RECORDS + 2, `${file}: record count`);
    const id = records[0].run_id;
    assert.ok(file.endsWith(`/${id}.jsonl`));
    assert.deepEqual(
      records.map((r) => r.kind),
      ["run_start", ...Array(RECORDS).fill("track"), "run_end"],
    );
    const p = (records[0].value as { metadata: { p: number } }).metadata.p;
    assert.ok(!seen.has(p), "one file per process");
    seen.add(p);
    const blob = String.fromCharCode(97 + p).repeat(70_000);
    for (let seq = 0; seq < RECORDS; seq++) {
      const r = records[seq + 1] as {
        run_id: string;
        note?: string;
        value: Record<string, unknown>;
      };
      const v = r.value;
      if (
        r.run_id !== id || v.p !== p || v.seq !== seq ||
        v.tag !== "é€😀".repeat(seq % 13) ||
        v.loss !== (seq % 997 === 0 ? "NaN" : 1 / (seq + 1)) ||
        (seq % 500 === 7 ? v.blob !== blob : "blob" in v) ||
        r.note !== (seq % 3 === 0 ? `p${p} seq ${seq}` : undefined)
      ) {
        assert.fail(`${file}: record ${seq} is not what process ${p} wrote`);
      }
      written++;
    }
    const end = records.at(-1)!.value as Record<string, unknown>;
    assert.equal(end.status, "finished");
    assert.equal(end.track_count, RECORDS);
  }

  // the reader agrees, and reports nothing
  const problems: Problem[] = [];
  const opts = { dir: exprag, onProblem: (p: Problem) => problems.push(p) };
  const runs = await listRuns(opts);
  assert.equal(runs.length, PROCS);
  for (const r of runs) {
    assert.equal(r.status, "finished");
    assert.equal(r.records, RECORDS);
  }
  const seqs = await selectValues("value.seq", opts);
  assert.equal(seqs.length, PROCS * RECORDS);
  const best = await bestRuns("value.seq", { ...opts, top: Infinity });
  assert.equal(best.rows.length, PROCS);
  for (const row of best.rows) assert.equal(row.value, RECORDS - 1);
  assert.deepEqual(problems, []);
  console.log(
    `concurrency figures: ${PROCS} processes, ${written} records written concurrently and verified`,
  );
  Deno.removeSync(cwd, { recursive: true });
});

// ------------------------------------------------- 8 runs, one dirty repo

/** path → "mode blob" of what a snapshot of the worktree must hold. */
function expectedTree(repo: string): Map<string, string> {
  const out = new Map<string, string>();
  const listed = git(
    repo,
    "ls-files",
    "-z",
    "--cached",
    "--others",
    "--exclude-standard",
  ).split("\0").filter((p) => p !== "" && !p.startsWith(".exprag/"));
  for (const path of new Set(listed)) {
    let st: Deno.FileInfo;
    try {
      st = Deno.lstatSync(join(repo, path));
    } catch {
      continue; // deleted in the worktree
    }
    assert.ok(st.isFile, `${path}: regular files only in this repository`);
    const mode = ((st.mode ?? 0) & 0o100) !== 0 ? "100755" : "100644";
    out.set(path, `${mode} ${git(repo, "hash-object", "--", path)}`);
  }
  return out;
}

function treeOf(repo: string, commit: string): Map<string, string> {
  const out = new Map<string, string>();
  for (
    const line of git(repo, "ls-tree", "-r", "-z", "--full-tree", commit)
      .split("\0")
  ) {
    if (line === "") continue;
    const [meta, path] = line.split("\t");
    const [mode, , blob] = meta.split(" ");
    out.set(path, `${mode} ${blob}`);
  }
  return out;
}

function dirtyRepo(): string {
  const repo = makeRepo({
    "train.ts": "const lr = 0.1;\n",
    "src/model.ts": "export const layers = 4;\n",
    "src/old.ts": "old\n",
    "data/keep.csv": "a,b\n1,2\n",
    ".gitignore": "*.log\ncache/\n",
  });
  for (let b = 0; b < 20; b++) git(repo, "branch", `feature-${b}`);
  git(repo, "pack-refs", "--all");
  // dirty: edits, a staged change, a deletion, untracked files, ignored files
  Deno.writeTextFileSync(join(repo, "train.ts"), "const lr = 0.03;\n");
  Deno.writeTextFileSync(
    join(repo, "src/model.ts"),
    "export const layers = 8;\n",
  );
  git(repo, "add", "src/model.ts");
  Deno.removeSync(join(repo, "src/old.ts"));
  Deno.mkdirSync(join(repo, "notes"));
  Deno.writeTextFileSync(join(repo, "notes/idea.md"), "try warmup\n");
  Deno.writeTextFileSync(join(repo, "run.log"), "ignored\n");
  Deno.mkdirSync(join(repo, "cache"));
  Deno.writeTextFileSync(join(repo, "cache/x.bin"), "ignored\n");
  return repo;
}

const RUN_CODE = `import { Experiment } from ${JSON.stringify(MOD_URL)};\n` +
  BARRIER + `
const exp = new Experiment("conc-git", { metadata: { p: Number(Deno.args[0]) } });
for (let i = 0; i < 100; i++) exp.track({ i });
exp.end();
const start = JSON.parse(Deno.readTextFileSync(exp.path).split("\\n")[0]);
console.log(JSON.stringify({ id: exp.runId, git: start.value.git, unavailable: start.value.unavailable }));
`;

/** Starts PROCS runs in `repo` at the same moment; returns each run's git state. */
async function startTogether(
  repo: string,
  whileWaiting: () => Promise<void> = () => Promise.resolve(),
): Promise<{ id: string; git: Record<string, unknown> }[]> {
  const go = join(tempDir("exprag-go-"), "go");
  const children = Array.from(
    { length: PROCS },
    (_, p) =>
      spawnDeno(RUN_CODE, [
        "--allow-run=git",
        "--allow-read",
        `--allow-write=.exprag`,
      ], { cwd: repo, args: [String(p), go], name: "conc-git" }),
  );
  for (const c of children) {
    assert.equal(await c.stdout.line(), "waiting");
  }
  await whileWaiting();
  Deno.writeTextFileSync(go, "");
  const ends = await Promise.all(children.map((c) => c.wait()));
  return ends.map((e) => {
    assert.equal(e.status.code, 0, e.stderr);
    assert.equal(e.stderr, "", "nothing reaches the user's stderr");
    const r = JSON.parse(e.rest.at(-1)!);
    assert.deepEqual(
      Object.keys(r.unavailable).filter((k) => k.startsWith("git")),
      [],
      `no git capture problem: ${JSON.stringify(r.unavailable)}`,
    );
    return r;
  });
}

/** Every run made its own exact snapshot; the user's state is untouched. */
function checkSnapshots(
  repo: string,
  runs: { id: string; git: Record<string, unknown> }[],
  expected: Map<string, string>,
  before: { head: string; staged: string; status: string },
): void {
  const ids = new Set<string>();
  const commits = new Set<string>();
  for (const r of runs) {
    const g = r.git as Record<string, string | boolean>;
    assert.equal(g.dirty, true);
    assert.equal(g.mode, "snapshot");
    assert.equal(g.branch, `run/${r.id}`);
    assert.equal(g.head, before.head);
    const commit = g.commit as string;
    assert.equal(
      git(repo, "rev-parse", `refs/heads/run/${r.id}`),
      commit,
      "the ref names the recorded commit",
    );
    assert.equal(git(repo, "rev-parse", `${commit}^`), before.head);
    assert.deepEqual(treeOf(repo, commit), expected, `tree of run ${r.id}`);
    ids.add(r.id);
    commits.add(commit);
  }
  assert.equal(ids.size, PROCS);
  assert.equal(commits.size, PROCS, "every snapshot is its own commit");
  assert.equal(
    git(repo, "for-each-ref", "--format=%(refname)", "refs/heads/run/")
      .split("\n").length,
    PROCS,
  );
  assert.equal(git(repo, "rev-parse", "HEAD"), before.head);
  assert.equal(git(repo, "ls-files", "-s"), before.staged);
  assert.equal(
    git(repo, "status", "--porcelain").split("\n").filter((l) =>
      l !== "?? .exprag/"
    ).join("\n"),
    before.status,
  );
}

function userState(repo: string) {
  return {
    head: git(repo, "rev-parse", "HEAD"),
    staged: git(repo, "ls-files", "-s"),
    status: git(repo, "status", "--porcelain"),
  };
}

Deno.test(`${PROCS} runs start at once in one dirty repository while the user's git keeps taking its locks`, async () => {
  const repo = dirtyRepo();
  const expected = expectedTree(repo);
  assert.ok(expected.has("notes/idea.md") && !expected.has("src/old.ts"));
  assert.ok(!expected.has("run.log") && !expected.has("cache/x.bin"));
  const before = userState(repo);

  // The user's git, busy all along in another process: index.lock
  // (update-index --refresh rewrites the index), packed-refs.lock
  // (pack-refs; deleting a packed branch rewrites packed-refs), loose ref
  // locks (branch -f).
  const churnLog = join(tempDir("exprag-churn-"), "rounds");
  const churn = new Deno.Command("bash", {
    args: [
      "-c",
      `n=0; while :; do
        git update-index -q --refresh; git pack-refs --all
        git branch -f churn-$((n % 3)) HEAD; git branch -D feature-$((n % 20))
        git branch feature-$((n % 20)) HEAD; n=$((n + 1)); echo $n > '${churnLog}'
      done >/dev/null 2>&1`,
    ],
    cwd: repo,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  // Rounds done so far; the file may be missing or mid-rewrite ("").
  const rounds = () => {
    try {
      return Number(Deno.readTextFileSync(churnLog)) || 0;
    } catch {
      return 0;
    }
  };
  let runs;
  let churned = 0;
  try {
    runs = await startTogether(repo, async () => {
      // The churn is under way (a loaded machine may take a while to start
      // bash and git): wait for its first full round, at most 60 s.
      const deadline = Date.now() + 60_000;
      while (rounds() < 1 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 10));
      }
      churned = rounds();
    });
    churned = Math.max(churned, rounds());
  } finally {
    churn.kill("SIGKILL");
    await churn.status;
  }
  assert.ok(churned > 0, "the user's git churn ran during the snapshots");
  for (const lock of ["index.lock", "packed-refs.lock"]) {
    try {
      Deno.removeSync(join(repo, ".git", lock)); // left by the killed churn
    } catch { /* none */ }
  }
  checkSnapshots(repo, runs, expected, before);
  console.log(
    `concurrency figures: ${PROCS} snapshots, ${churned} rounds of user git lock churn`,
  );
});

Deno.test(`${PROCS} runs start at once while index.lock and packed-refs.lock are held (a commit waiting in the editor)`, async () => {
  const repo = dirtyRepo();
  const expected = expectedTree(repo);
  const before = userState(repo);
  const locks = ["index.lock", "packed-refs.lock"].map((l) =>
    join(repo, ".git", l)
  );
  for (const l of locks) Deno.writeTextFileSync(l, "");
  let runs;
  try {
    runs = await startTogether(repo);
  } finally {
    for (const l of locks) Deno.removeSync(l);
  }
  checkSnapshots(repo, runs, expected, before);
});
