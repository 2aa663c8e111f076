// Code-state capture (src/git/): real git repositories in
// temp dirs, captureGit run in real Deno subprocesses with limited flags.
import assert from "node:assert/strict";
import { join, relative } from "node:path";
import {
  git,
  makeRepo,
  MOD_URL,
  type Output,
  readJsonl,
  run,
  runFiles,
  runScript,
  tempDir,
} from "./_helpers.ts";
import type { GitCaptureResult, GitState } from "../src/git/types.ts";

const GIT_TS = new URL("../src/git/capture.ts", import.meta.url).href;
const dec = new TextDecoder();
const MiB = 1024 * 1024;

// ------------------------------------------------------------------ helpers

/** git with no optional locks: inspecting never rewrites the user's index. */
function gitQ(cwd: string, ...args: string[]): string {
  const out = new Deno.Command("git", {
    args,
    cwd,
    env: { GIT_OPTIONAL_LOCKS: "0" },
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  if (!out.success) {
    throw new Error(`git ${args.join(" ")}: ${dec.decode(out.stderr)}`);
  }
  return dec.decode(out.stdout).trimEnd();
}

function tryGitQ(cwd: string, ...args: string[]): string | null {
  try {
    return gitQ(cwd, ...args);
  } catch {
    return null;
  }
}

function write(path: string, data: string | Uint8Array): void {
  Deno.mkdirSync(join(path, ".."), { recursive: true });
  if (typeof data === "string") Deno.writeTextFileSync(path, data);
  else Deno.writeFileSync(path, data);
}

interface Entry {
  mode: string;
  bytes: Uint8Array;
}

/** Every file and symlink under `dir` (paths relative to it), skipping `.git` and `skip` prefixes. */
/** The name of exprag's reused temporary index in the exprag directory. */
const CACHE_NAME = /^\.git-index-[0-9a-f]{16}\.tmp\.cache(?:-record)?$/;

function worktreeFiles(
  dir: string,
  skip: (rel: string) => boolean = () => false,
): Map<string, Entry> {
  const out = new Map<string, Entry>();
  const walk = (abs: string) => {
    for (const e of Deno.readDirSync(abs)) {
      const p = join(abs, e.name);
      const rel = relative(dir, p);
      // exprag's reused temporary index (src/git/index_cache.ts) is its
      // own file in its own directory, like a run file
      if (e.name === ".git" || CACHE_NAME.test(e.name) || skip(rel)) continue;
      if (e.isSymlink) {
        out.set(rel, {
          mode: "120000",
          bytes: new TextEncoder().encode(Deno.readLinkSync(p)),
        });
      } else if (e.isDirectory) walk(p);
      else if (e.isFile) {
        const exec = ((Deno.statSync(p).mode ?? 0) & 0o100) !== 0;
        out.set(rel, {
          mode: exec ? "100755" : "100644",
          bytes: Deno.readFileSync(p),
        });
      }
    }
  };
  walk(dir);
  return out;
}

/** The files of a commit's tree (blob contents read with one cat-file --batch). */
async function treeFiles(
  repo: string,
  rev: string,
): Promise<Map<string, Entry>> {
  const ls = gitQ(repo, "ls-tree", "-r", "-z", "--full-tree", rev);
  const rows = ls.split("\0").filter((l) => l !== "").map((l) => {
    const tab = l.indexOf("\t");
    const [mode, type, oid] = l.slice(0, tab).split(" ");
    return { mode, type, oid, path: l.slice(tab + 1) };
  });
  const out = new Map<string, Entry>();
  const blobs = rows.filter((r) => r.type === "blob");
  if (blobs.length === 0) return out;
  const child = new Deno.Command("git", {
    args: ["cat-file", "--batch"],
    cwd: repo,
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(
    new TextEncoder().encode(blobs.map((b) => b.oid).join("\n") + "\n"),
  );
  await w.close();
  const data = (await child.output()).stdout;
  let pos = 0;
  for (const b of blobs) {
    const nl = data.indexOf(10, pos);
    const header = dec.decode(data.subarray(pos, nl)).split(" ");
    const size = Number(header[2]);
    out.set(b.path, {
      mode: b.mode,
      bytes: data.slice(nl + 1, nl + 1 + size),
    });
    pos = nl + 1 + size + 1;
  }
  for (const r of rows) {
    if (r.type === "commit") {
      out.set(r.path, {
        mode: "160000",
        bytes: new TextEncoder().encode(r.oid),
      });
    }
  }
  return out;
}

function assertSameFiles(
  actual: Map<string, Entry>,
  expected: Map<string, Entry>,
  what: string,
): void {
  assert.deepEqual(
    [...actual.keys()].sort(),
    [...expected.keys()].sort(),
    `${what}: paths`,
  );
  for (const [p, e] of expected) {
    const a = actual.get(p)!;
    assert.equal(a.mode, e.mode, `${what}: mode of ${p}`);
    assert.deepEqual(a.bytes, e.bytes, `${what}: content of ${p}`);
  }
}

/** Everything the capture must leave untouched. */
interface RepoState {
  head: string | null;
  headRef: string | null;
  index: Uint8Array | null;
  indexPath: string;
  stash: string;
  refs: string;
  worktree: Map<string, Entry>;
}

function repoState(
  dir: string,
  skip: (rel: string) => boolean = () => false,
): RepoState {
  const indexPath = join(dir, gitQ(dir, "rev-parse", "--git-path", "index"));
  let index: Uint8Array | null = null;
  try {
    index = Deno.readFileSync(indexPath);
  } catch {
    index = null;
  }
  return {
    head: tryGitQ(dir, "rev-parse", "-q", "--verify", "HEAD"),
    headRef: tryGitQ(dir, "symbolic-ref", "-q", "HEAD"),
    index,
    indexPath,
    stash: gitQ(dir, "stash", "list"),
    refs: gitQ(dir, "for-each-ref", "--format=%(refname) %(objectname)"),
    worktree: worktreeFiles(dir, skip),
  };
}

/** Asserts HEAD, index bytes, stash, worktree unchanged, and no ref but `newRef` added. */
function assertUntouched(
  before: RepoState,
  after: RepoState,
  newRef?: string,
): void {
  assert.equal(after.head, before.head, "HEAD unchanged");
  assert.equal(after.headRef, before.headRef, "HEAD's branch unchanged");
  assert.deepEqual(after.index, before.index, "index unchanged byte for byte");
  assert.equal(after.stash, before.stash, "stash unchanged");
  const refs = after.refs.split("\n").filter((r) =>
    r !== "" && (newRef === undefined || !r.startsWith(`${newRef} `))
  );
  assert.deepEqual(
    refs,
    before.refs.split("\n").filter((r) => r !== ""),
    "no other ref changed",
  );
  assertSameFiles(after.worktree, before.worktree, "worktree unchanged");
}

interface CaptureRun {
  result: GitCaptureResult;
  out: Output;
  runId: string;
}

interface CaptureOptions {
  cwd: string;
  expragDir: string;
  flags?: string[];
  env?: Record<string, string>;
  mode?: "snapshot" | "state";
  maxFileBytes?: number;
  runId?: string;
}

const SCRIPT = `import { captureGit } from ${JSON.stringify(GIT_TS)};
const opts = JSON.parse(Deno.args[0]);
console.log(JSON.stringify(captureGit(opts)));
`;

/** Runs captureGit in a real subprocess from `cwd` with exactly the given flags. */
async function capture(o: CaptureOptions): Promise<CaptureRun> {
  const runId = o.runId ?? crypto.randomUUID();
  const flags = o.flags ??
    ["--allow-run=git", "--allow-read", `--allow-write=${o.expragDir}`];
  const opts = {
    mode: o.mode ?? "snapshot",
    runId,
    expragDir: o.expragDir,
    maxFileBytes: o.maxFileBytes ?? 10 * MiB,
  };
  const out = await runScript(o.cwd, SCRIPT, flags, {
    env: o.env,
    args: [JSON.stringify(opts)],
  });
  assert.equal(out.code, 0, `capture script failed: ${out.stderr}`);
  assert.doesNotMatch(out.stderr, /prompt|Granted|Allow\?/i, "never prompts");
  return { result: JSON.parse(out.stdout), out, runId };
}

/**
 * {@linkcode capture}, asserting that `repo` is left as it was but for the
 * run's new ref (not even that with `noRef`); also returns the repo's state
 * before.
 */
async function captureUntouched(
  repo: string,
  o: CaptureOptions,
  { noRef = false }: { noRef?: boolean } = {},
): Promise<CaptureRun & { before: RepoState }> {
  const before = repoState(repo);
  const cap = await capture(o);
  const newRef = noRef ? undefined : `refs/heads/run/${cap.runId}`;
  assertUntouched(before, repoState(repo), newRef);
  return { ...cap, before };
}

/** No temporary file of ours is left in the exprag dir. */
function assertNoTempFiles(expragDir: string): void {
  let names: string[] = [];
  try {
    names = [...Deno.readDirSync(expragDir)].map((e) => e.name);
  } catch {
    return;
  }
  assert.deepEqual(
    names.filter((n) => n.endsWith(".tmp") || n.endsWith(".lock")),
    [],
    "temporary files removed",
  );
}

/** A dirty repository: edits, a deletion, a staged change, untracked and ignored files, a stash. */
function dirtyRepo(): string {
  const repo = makeRepo({
    "a.txt": "a\n",
    "b.txt": "b\n",
    "src/main.ts": "console.log(1);\n",
    "src/gone.ts": "x\n",
    "staged.txt": "old\n",
    "staged-only.txt": "before\n",
    "to-rename.txt": "rename me\n",
    "to-remove.txt": "remove me\n",
    ".gitignore": "*.log\nignored-dir/\n",
  });
  // a stash entry that must survive
  write(join(repo, "a.txt"), "stashed edit\n");
  git(repo, "stash", "push", "-q", "-m", "user stash");
  write(join(repo, "a.txt"), "a edited\n");
  Deno.removeSync(join(repo, "src/gone.ts"));
  write(join(repo, "staged.txt"), "staged\n");
  git(repo, "add", "staged.txt");
  write(join(repo, "staged.txt"), "staged then edited\n");
  write(join(repo, "new/untracked.txt"), "new\n");
  write(join(repo, "with space.txt"), "sp\n");
  write(join(repo, 'quo"te é.txt'), "unicode\n");
  write(join(repo, "train.log"), "ignored\n");
  write(join(repo, "ignored-dir/x.bin"), "ignored\n");
  write(join(repo, "staged-only.txt"), "after, staged\n");
  write(join(repo, "added.txt"), "new, staged\n");
  git(repo, "add", "staged-only.txt", "added.txt");
  git(repo, "mv", "to-rename.txt", "renamed.txt");
  git(repo, "rm", "-q", "to-remove.txt");
  write(join(repo, "intent.txt"), "intent to add\n");
  git(repo, "add", "-N", "intent.txt");
  Deno.chmodSync(join(repo, "b.txt"), 0o755); // mode change only
  return repo;
}

const isIgnored = (rel: string) =>
  rel.endsWith(".log") || rel.startsWith("ignored-dir");

async function assertSnapshot(
  repo: string,
  git_: GitState,
  runId: string,
  expected: Map<string, Entry>,
): Promise<void> {
  assert.equal(git_.dirty, true);
  assert.equal(git_.mode, "snapshot");
  assert.equal(git_.branch, `run/${runId}`);
  assert.equal(gitQ(repo, "rev-parse", `refs/heads/run/${runId}`), git_.commit);
  const parents = gitQ(repo, "rev-list", "--parents", "-n1", git_.commit!)
    .split(" ").slice(1);
  assert.deepEqual(
    parents,
    git_.head === null ? [] : [git_.head],
    "parent = HEAD",
  );
  assertSameFiles(
    await treeFiles(repo, git_.commit!),
    expected,
    "snapshot tree",
  );
}

// ------------------------------------------------------------------ tests

Deno.test("clean worktree: commit = HEAD, branch, not dirty, no ref", async () => {
  const repo = makeRepo({ "a.txt": "a\n", ".gitignore": ".exprag/\n" });
  const exprag = join(repo, ".exprag");
  write(join(exprag, "runs/x.jsonl"), "{}\n");
  const before = repoState(repo);
  const { result } = await capture({ cwd: repo, expragDir: exprag });
  const g = result.git!;
  const head = gitQ(repo, "rev-parse", "HEAD");
  assert.equal(result.reason, undefined);
  assert.deepEqual(g, {
    commit: head,
    branch: "main",
    tree: gitQ(repo, "rev-parse", "HEAD^{tree}"), // the run's code, recorded
    dirty: false,
    head,
    head_branch: "main",
    status: "",
    status_truncated: false,
    mode: "snapshot",
    toplevel: repo,
    exprag_dir: ".exprag",
    skipped: [],
  });
  assertUntouched(before, repoState(repo));
});

Deno.test("dirty worktree: snapshot tree is exactly the worktree; HEAD, index, stash, worktree untouched", async () => {
  const repo = dirtyRepo();
  const exprag = join(repo, ".exprag");
  write(join(exprag, "runs/old.jsonl"), "{}\n"); // not ignored: must be excluded anyway
  const { result, runId, before } = await captureUntouched(repo, {
    cwd: repo,
    expragDir: exprag,
  });
  const g = result.git!;
  assert.equal(g.head, before.head);
  assert.equal(g.head_branch, "main");
  assert.equal(g.toplevel, repo);
  assert.equal(g.exprag_dir, ".exprag");
  assert.deepEqual(g.skipped, []);
  assert.equal(result.unavailable, undefined);
  await assertSnapshot(
    repo,
    g,
    runId,
    worktreeFiles(repo, (r) => isIgnored(r) || r.startsWith(".exprag")),
  );
  // deletion and staged-then-edited content
  assert.equal(
    tryGitQ(repo, "cat-file", "-e", `${g.commit}:src/gone.ts`),
    null,
  );
  assert.equal(
    gitQ(repo, "show", `${g.commit}:staged.txt`),
    "staged then edited",
  );
  // status: exactly what git status --porcelain -uall prints, minus the exprag dir
  const expected = gitQ(
    repo,
    "status",
    "--porcelain",
    "--untracked-files=all",
    "--",
    ":/",
    ":(top,exclude).exprag",
  );
  assert.equal(g.status, expected + "\n");
  assert.match(g.status, /^\?\? "with space.txt"$/m);
  assert.match(g.status, /^ D src\/gone.ts$/m);
  assert.match(g.status, /^MM staged.txt$/m);
  assert.match(g.status, /^ A intent.txt$/m);
  assert.match(g.status, /^M {2}staged-only.txt$/m);
  assert.match(g.status, /^A {2}added.txt$/m);
  assert.match(g.status, /^R {2}to-rename.txt -> renamed.txt$/m);
  assert.match(g.status, /^D {2}to-remove.txt$/m);
  assert.match(g.status, /^ M b.txt$/m);
  assert.doesNotMatch(g.status, /exprag|\.log|ignored-dir/);
  assertNoTempFiles(exprag);
  // the snapshot's commit message names the run; signing and hooks never ran
  const raw = gitQ(repo, "cat-file", "commit", g.commit!);
  assert.match(raw, new RegExp(`exprag snapshot of run ${runId}`));
  assert.doesNotMatch(raw, /gpgsig/);
});

Deno.test("renames, type changes and unmerged paths are snapshotted as in the worktree; status matches git", async () => {
  const repo = makeRepo({
    "old name.txt": "r\n",
    "conflict.txt": "base\n",
    "t.txt": "t\n",
  });
  git(repo, "checkout", "-q", "-b", "other");
  write(join(repo, "conflict.txt"), "theirs\n");
  git(repo, "commit", "-q", "-am", "theirs");
  git(repo, "checkout", "-q", "main");
  write(join(repo, "conflict.txt"), "ours\n");
  git(repo, "commit", "-q", "-am", "ours");
  const m = await run("git", ["merge", "-q", "other"], { cwd: repo });
  assert.notEqual(m.code, 0, "merge conflict expected");
  git(repo, "mv", "old name.txt", "new name.txt");
  Deno.removeSync(join(repo, "t.txt"));
  Deno.symlinkSync("new name.txt", join(repo, "t.txt"));
  const exprag = tempDir("exprag-out-");
  const { result, runId } = await captureUntouched(repo, {
    cwd: repo,
    expragDir: exprag,
  });
  const g = result.git!;
  await assertSnapshot(repo, g, runId, worktreeFiles(repo));
  assert.equal(
    g.status,
    gitQ(repo, "status", "--porcelain", "--untracked-files=all") + "\n",
  );
  assert.match(g.status, /^UU conflict.txt$/m);
  assert.match(g.status, /^R {2}"old name.txt" -> "new name.txt"$/m);
  assert.equal(g.exprag_dir, null);
  assertNoTempFiles(exprag);
});

Deno.test("oversize untracked files are skipped and listed; tracked big files and symlinks are kept as in git", async () => {
  const repo = makeRepo({ "tracked.bin": "small\n", "dir/f.txt": "in dir\n" });
  const outside = tempDir("exprag-outside-");
  write(join(outside, "f.txt"), "outside secret\n");
  write(join(outside, "secret.txt"), "outside secret\n");
  write(join(repo, "tracked.bin"), new Uint8Array(3000).fill(7)); // tracked: kept
  write(join(repo, "big.bin"), new Uint8Array(2001).fill(1)); // untracked, oversize
  write(join(repo, "sub/big2.bin"), new Uint8Array(5000).fill(2));
  write(join(repo, "ok.bin"), new Uint8Array(2000).fill(3)); // exactly the limit: kept
  Deno.symlinkSync(join(outside, "secret.txt"), join(repo, "link-out"));
  // a tracked directory replaced by a symlink to a directory outside the repo
  Deno.removeSync(join(repo, "dir"), { recursive: true });
  Deno.symlinkSync(outside, join(repo, "dir"));
  const exprag = join(repo, ".exprag");
  const { result, runId } = await captureUntouched(repo, {
    cwd: repo,
    expragDir: exprag,
    maxFileBytes: 2000,
  });
  const g = result.git!;
  assert.deepEqual(
    g.skipped.sort((a, b) => a.path.localeCompare(b.path)),
    [
      {
        path: "big.bin",
        bytes: 2001,
        reason: "larger than snapshotMaxFileBytes",
      },
      {
        path: "sub/big2.bin",
        bytes: 5000,
        reason: "larger than snapshotMaxFileBytes",
      },
    ],
  );
  const expected = new Map<string, Entry>([
    ["tracked.bin", { mode: "100644", bytes: new Uint8Array(3000).fill(7) }],
    ["ok.bin", { mode: "100644", bytes: new Uint8Array(2000).fill(3) }],
    ["link-out", {
      mode: "120000",
      bytes: new TextEncoder().encode(join(outside, "secret.txt")),
    }],
    ["dir", { mode: "120000", bytes: new TextEncoder().encode(outside) }],
  ]);
  await assertSnapshot(repo, g, runId, expected);
  assert.match(
    g.status,
    /^\?\? big.bin$/m,
    "skipped files still show in status",
  );
});

Deno.test("a nested repository without commits is left out and listed; one with a commit is a gitlink", async () => {
  const repo = makeRepo({ "a.txt": "a\n" });
  write(join(repo, "a.txt"), "a edited\n");
  write(join(repo, "empty-repo/x.txt"), "no commit here\n");
  git(join(repo, "empty-repo"), "init", "-q");
  write(join(repo, "full-repo/y.txt"), "committed\n");
  git(join(repo, "full-repo"), "init", "-q");
  git(join(repo, "full-repo"), "add", "y.txt");
  git(join(repo, "full-repo"), "commit", "-q", "-m", "nested");
  const nestedHead = gitQ(join(repo, "full-repo"), "rev-parse", "HEAD");
  const exprag = join(repo, ".exprag");
  const { result } = await captureUntouched(repo, {
    cwd: repo,
    expragDir: exprag,
  });
  const g = result.git!;
  assert.equal(g.mode, "snapshot", JSON.stringify(result));
  assert.deepEqual(g.skipped, [
    {
      path: "empty-repo/",
      bytes: null,
      reason: "nested repository without commits",
    },
  ]);
  const tree = gitQ(repo, "ls-tree", "-r", g.commit!);
  assert.match(
    tree,
    new RegExp(`^160000 commit ${nestedHead}\tfull-repo$`, "m"),
  );
  assert.doesNotMatch(tree, /empty-repo/);
  assert.equal(gitQ(repo, "show", `${g.commit}:a.txt`), "a edited");
  assertNoTempFiles(exprag);
});

Deno.test("no git identity configured: fallback author; commit.gpgsign=true: no signing, no prompt", async () => {
  const repo = dirtyRepo();
  const home = tempDir("exprag-home-");
  git(repo, "config", "commit.gpgsign", "true");
  git(repo, "config", "gpg.program", join(home, "no-such-gpg"));
  const env = {
    HOME: home,
    XDG_CONFIG_HOME: join(home, ".config"),
    GIT_CONFIG_NOSYSTEM: "1",
    DENO_DIR: Deno.env.get("DENO_DIR") ??
      join(Deno.env.get("HOME") ?? home, ".cache/deno"),
  };
  // sanity: git itself has no identity here
  const who = await run("git", [
    "-c",
    "user.useConfigOnly=true",
    "var",
    "GIT_AUTHOR_IDENT",
  ], {
    cwd: repo,
    env,
  });
  assert.notEqual(who.code, 0);
  const exprag = join(repo, ".exprag");
  const { result, runId } = await captureUntouched(repo, {
    cwd: repo,
    expragDir: exprag,
    env,
  });
  const g = result.git!;
  await assertSnapshot(
    repo,
    g,
    runId,
    worktreeFiles(repo, (r) => isIgnored(r) || r.startsWith(".exprag")),
  );
  assert.equal(
    gitQ(repo, "log", "-1", "--format=%an <%ae>|%cn <%ce>", g.commit!),
    "exprag <exprag@localhost>|exprag <exprag@localhost>",
  );
  assert.doesNotMatch(gitQ(repo, "cat-file", "commit", g.commit!), /gpgsig/);
});

Deno.test("a configured identity is used for the snapshot", async () => {
  const repo = dirtyRepo();
  git(repo, "config", "user.name", "Repo User");
  git(repo, "config", "user.email", "repo@example.com");
  const { result } = await capture({
    cwd: repo,
    expragDir: join(repo, ".exprag"),
  });
  assert.equal(
    gitQ(repo, "log", "-1", "--format=%an <%ae>", result.git!.commit!),
    "Repo User <repo@example.com>",
  );
});

Deno.test("hooks never run, core.fsmonitor is never triggered", async () => {
  const repo = dirtyRepo();
  const marks = tempDir("exprag-marks-");
  const hookNames = [
    "pre-commit",
    "post-commit",
    "commit-msg",
    "reference-transaction",
    "post-index-change",
    "post-checkout",
  ];
  const hookDir = join(repo, ".git", "hooks");
  const customHooks = tempDir("exprag-hooks-");
  for (const dir of [hookDir, customHooks]) {
    for (const h of hookNames) {
      write(join(dir, h), `#!/bin/sh\ntouch "${marks}/${h}-$$"\n`);
      Deno.chmodSync(join(dir, h), 0o755);
    }
  }
  const monitor = join(marks, "..", `fsmonitor-${crypto.randomUUID()}.sh`);
  write(monitor, `#!/bin/sh\ntouch "${marks}/fsmonitor-$$"\nexit 1\n`);
  Deno.chmodSync(monitor, 0o755);
  git(repo, "config", "core.fsmonitor", monitor);
  // sanity: plain git runs the hooks here (reference-transaction on update-ref)
  git(repo, "update-ref", "refs/heads/sanity", "HEAD");
  git(repo, "update-ref", "-d", "refs/heads/sanity");
  assert.ok(
    [...Deno.readDirSync(marks)].some((e) =>
      e.name.startsWith("reference-transaction")
    ),
    "hook sanity check",
  );
  // sanity: plain git status does run the fsmonitor hook here
  await run("git", ["status", "--porcelain"], {
    cwd: repo,
    env: { GIT_OPTIONAL_LOCKS: "0" },
  });
  assert.ok([...Deno.readDirSync(marks)].length > 0, "fsmonitor sanity check");
  for (const e of [...Deno.readDirSync(marks)]) {
    Deno.removeSync(join(marks, e.name));
  }

  for (const hooksPath of [null, customHooks]) {
    if (hooksPath) git(repo, "config", "core.hooksPath", hooksPath);
    const exprag = join(repo, ".exprag");
    const { result, runId } = await captureUntouched(repo, {
      cwd: repo,
      expragDir: exprag,
    });
    assert.equal(result.git!.branch, `run/${runId}`);
    assert.deepEqual(
      [...Deno.readDirSync(marks)].map((e) => e.name),
      [],
      "no hook or fsmonitor ran",
    );
  }
});

Deno.test("unborn branch: snapshot without parent, head null; clean unborn: commit null", async () => {
  // clean unborn
  const empty = tempDir("exprag-repo-");
  git(empty, "init", "-q", "-b", "main");
  let r =
    (await capture({ cwd: empty, expragDir: join(empty, ".exprag") })).result;
  assert.deepEqual(
    { ...r.git!, toplevel: "" },
    {
      commit: null,
      branch: null,
      tree: null, // unborn: no tree
      dirty: false,
      head: null,
      head_branch: "main",
      status: "",
      status_truncated: false,
      mode: "snapshot",
      toplevel: "",
      exprag_dir: ".exprag",
      skipped: [],
    },
  );
  // no index file yet, only untracked files
  write(join(empty, "u.txt"), "untracked\n");
  write(join(empty, "d/v.txt"), "v\n");
  let before = repoState(empty);
  assert.equal(before.index, null, "no index yet");
  let cap = await capture({ cwd: empty, expragDir: join(empty, ".exprag") });
  assertUntouched(before, repoState(empty), `refs/heads/run/${cap.runId}`);
  assert.equal(cap.result.git!.head, null);
  await assertSnapshot(
    empty,
    cap.result.git!,
    cap.runId,
    worktreeFiles(empty, (p) => p.startsWith(".exprag")),
  );
  // staged files and an edit on top
  git(empty, "add", "u.txt");
  write(join(empty, "u.txt"), "edited after add\n");
  before = repoState(empty);
  cap = await capture({ cwd: empty, expragDir: join(empty, ".exprag") });
  assertUntouched(before, repoState(empty), `refs/heads/run/${cap.runId}`);
  assert.equal(
    tryGitQ(empty, "rev-parse", "-q", "--verify", "HEAD"),
    null,
    "still unborn",
  );
  await assertSnapshot(
    empty,
    cap.result.git!,
    cap.runId,
    worktreeFiles(empty, (p) => p.startsWith(".exprag")),
  );
  r = cap.result;
  assert.equal(r.git!.head_branch, "main");
  // no read permission for the index: starts from an empty index, staged files still in
  const exprag = tempDir("exprag-out-");
  cap = await capture({
    cwd: empty,
    expragDir: exprag,
    flags: ["--allow-run=git", `--allow-write=${exprag}`],
  });
  assert.match(cap.result.unavailable!["git.index"], /not granted/);
  assert.deepEqual(cap.result.git!.skipped.map((s) => s.path), ["d/v.txt"]);
  await assertSnapshot(
    empty,
    cap.result.git!,
    cap.runId,
    new Map([["u.txt", {
      mode: "100644",
      bytes: new TextEncoder().encode("edited after add\n"),
    }]]),
  );
});

Deno.test("detached HEAD: clean → branch null, commit = HEAD; dirty → run branch, head_branch null", async () => {
  const repo = makeRepo({ "a.txt": "1\n" });
  write(join(repo, "a.txt"), "2\n");
  git(repo, "commit", "-q", "-am", "second");
  git(repo, "checkout", "-q", "--detach", "HEAD~1");
  const head = gitQ(repo, "rev-parse", "HEAD");
  const exprag = tempDir("exprag-out-");
  let cap = await capture({ cwd: repo, expragDir: exprag });
  assert.equal(cap.result.git!.commit, head);
  assert.equal(cap.result.git!.branch, null);
  assert.equal(cap.result.git!.head_branch, null);
  assert.equal(cap.result.git!.dirty, false);
  write(join(repo, "a.txt"), "detached edit\n");
  cap = await captureUntouched(repo, { cwd: repo, expragDir: exprag });
  assert.equal(cap.result.git!.head, head);
  assert.equal(cap.result.git!.head_branch, null);
  await assertSnapshot(repo, cap.result.git!, cap.runId, worktreeFiles(repo));
  assert.equal(
    gitQ(repo, "rev-parse", "HEAD"),
    head,
    "still detached at the same commit",
  );
});

Deno.test("linked worktree: snapshot of that worktree; both indexes untouched", async () => {
  const repo = dirtyRepo();
  const wt = join(tempDir("exprag-wt-"), "linked");
  git(repo, "worktree", "add", "-q", "-b", "feature", wt);
  write(join(wt, "a.txt"), "edited in the linked worktree\n");
  write(join(wt, "wt-only.txt"), "untracked in wt\n");
  Deno.removeSync(join(wt, "b.txt"));
  const exprag = join(wt, ".exprag");
  const mainBefore = repoState(repo);
  const before = repoState(wt);
  assert.match(before.indexPath, /worktrees/);
  const { result, runId } = await capture({
    cwd: wt,
    expragDir: exprag,
    flags: [
      "--allow-run=git",
      `--allow-read=${wt},${repo}`,
      `--allow-write=${exprag}`,
    ],
  });
  assert.equal(
    result.unavailable,
    undefined,
    JSON.stringify(result.unavailable),
  );
  const g = result.git!;
  assert.equal(g.toplevel, wt);
  assert.equal(g.head_branch, "feature");
  assertUntouched(before, repoState(wt), `refs/heads/run/${runId}`);
  assertUntouched(mainBefore, repoState(repo), `refs/heads/run/${runId}`);
  await assertSnapshot(
    wt,
    g,
    runId,
    worktreeFiles(wt, (r) => r.startsWith(".exprag")),
  );
  // the snapshot branch is shared with the main repository
  assert.equal(gitQ(repo, "rev-parse", `run/${runId}`), g.commit);
});

Deno.test("run started from a subdirectory, exprag dir at the top (absolute): excluded, paths from the top", async () => {
  const repo = dirtyRepo();
  const cwd = join(repo, "src");
  const exprag = join(repo, ".exprag");
  write(join(exprag, "runs/r.jsonl"), "{}\n");
  const { result, runId } = await captureUntouched(repo, {
    cwd,
    expragDir: exprag,
    flags: [
      "--allow-run=git",
      `--allow-read=${repo}`,
      `--allow-write=${exprag}`,
    ],
  });
  const g = result.git!;
  assert.equal(g.toplevel, repo);
  assert.equal(g.exprag_dir, ".exprag");
  assert.match(g.status, /^ D src\/gone.ts$/m);
  assert.match(g.status, /^\?\? new\/untracked.txt$/m);
  await assertSnapshot(
    repo,
    g,
    runId,
    worktreeFiles(repo, (r) => isIgnored(r) || r.startsWith(".exprag")),
  );
});

Deno.test("EXPRAG_DIR inside the repo (not ignored): never makes the tree dirty, never in the snapshot", async () => {
  const repo = makeRepo({ "a.txt": "a\n", "data/keep.txt": "k\n" });
  const exprag = join(repo, "data", "exp runs");
  write(join(exprag, "runs/r1.jsonl"), "{}\n");
  write(join(exprag, "runs/r2.jsonl"), "{}\n");
  // clean apart from the exprag dir: not dirty, from a subdirectory too
  for (const cwd of [repo, join(repo, "data")]) {
    const { result } = await capture({ cwd, expragDir: exprag });
    assert.equal(result.git!.dirty, false, `clean from ${cwd}`);
    assert.equal(result.git!.status, "");
    assert.equal(result.git!.exprag_dir, "data/exp runs");
  }
  // the exprag dir is the top level itself: its runs never count
  write(join(repo, "runs/r.jsonl"), "{}\n");
  const top = await capture({ cwd: repo, expragDir: repo });
  assert.equal(top.result.git!.exprag_dir, ".");
  assert.match(
    top.result.git!.status,
    /^\?\? "data\/exp runs\/runs\/r1.jsonl"$/m,
  );
  assert.doesNotMatch(top.result.git!.status, /^\?\? runs\//m);
  git(repo, "update-ref", "-d", `refs/heads/run/${top.runId}`);
  Deno.removeSync(join(repo, "runs"), { recursive: true });
  write(join(repo, "data/new.txt"), "n\n");
  const { result, runId } = await captureUntouched(repo, {
    cwd: join(repo, "data"),
    expragDir: exprag,
  });
  assert.equal(result.git!.status, "?? data/new.txt\n");
  await assertSnapshot(
    repo,
    result.git!,
    runId,
    worktreeFiles(repo, (r) => r.startsWith("data/exp runs")),
  );
  assertNoTempFiles(exprag);
});

Deno.test("EXPRAG_DIR outside the repo: exprag_dir null, temp index there and removed", async () => {
  const repo = dirtyRepo();
  const exprag = join(tempDir("exprag-out-"), "nested", ".exprag"); // does not exist yet
  const { result, runId } = await captureUntouched(repo, {
    cwd: repo,
    expragDir: exprag,
    flags: [
      "--allow-run=git",
      `--allow-read=${repo}`,
      `--allow-write=${exprag}`,
    ],
  });
  assert.equal(result.git!.exprag_dir, null);
  await assertSnapshot(
    repo,
    result.git!,
    runId,
    worktreeFiles(repo, isIgnored),
  );
  assertNoTempFiles(exprag);
});

Deno.test("exprag dir reached through a symlink into the repo is still excluded", async () => {
  const repo = makeRepo({ "a.txt": "a\n" });
  write(join(repo, "exp/runs/r.jsonl"), "{}\n");
  const link = join(tempDir("exprag-link-"), "exp-link");
  Deno.symlinkSync(join(repo, "exp"), link);
  for (
    const flags of [
      ["--allow-run=git", "--allow-read", `--allow-write=${link}`],
      ["--allow-run=git", `--allow-write=${link}`], // no read: git resolves it
    ]
  ) {
    const { result } = await capture({
      cwd: repo,
      expragDir: link,
      flags,
      mode: "state",
    });
    assert.equal(result.git!.exprag_dir, "exp");
    assert.equal(result.git!.dirty, false);
  }
});

Deno.test("many changes (2,500 untracked files named to update-index in batches), ignored exprag dir, status capped at 64 KiB with the rest counted", async () => {
  const repo = makeRepo({ "a.txt": "a\n", ".gitignore": ".exprag/\n*.tmp\n" });
  for (let i = 0; i < 2500; i++) {
    write(
      join(repo, `many/dir${i % 50}/file-with-a-rather-long-name-${i}.txt`),
      `${i}\n`,
    );
  }
  write(join(repo, "big.bin"), new Uint8Array(4096));
  write(join(repo, "scratch.tmp"), "ignored\n");
  Deno.removeSync(join(repo, "a.txt"));
  const exprag = join(repo, ".exprag");
  write(join(exprag, "runs/r.jsonl"), "{}\n");
  const { result, runId } = await captureUntouched(repo, {
    cwd: repo,
    expragDir: exprag,
    maxFileBytes: 1024,
  });
  const g = result.git!;
  assert.equal(g.status_truncated, true);
  const bytes = new TextEncoder().encode(g.status).length;
  assert.ok(bytes <= 64 * 1024 && bytes > 60 * 1024, `status bytes ${bytes}`);
  assert.ok(g.status.endsWith("\n"));
  const full = gitQ(repo, "status", "--porcelain", "--untracked-files=all") +
    "\n";
  assert.ok(
    full.startsWith(g.status),
    "the cap keeps whole lines of the real status",
  );
  const lines = (t: string) => t.split("\n").length - 1;
  assert.equal(
    g.status_omitted,
    lines(full) - lines(g.status),
    "status_omitted counts the lines left out",
  );
  assert.deepEqual(g.skipped, [{
    path: "big.bin",
    bytes: 4096,
    reason: "larger than snapshotMaxFileBytes",
  }]);
  await assertSnapshot(
    repo,
    g,
    runId,
    worktreeFiles(
      repo,
      (r) => r.startsWith(".exprag") || r.endsWith(".tmp") || r === "big.bin",
    ),
  );
  assertNoTempFiles(exprag);
});

Deno.test("mode state: dirty recorded, HEAD kept, no ref, nothing written", async () => {
  const repo = dirtyRepo();
  const { result, before } = await captureUntouched(repo, {
    cwd: repo,
    expragDir: join(repo, ".exprag"),
    mode: "state",
    flags: ["--allow-run=git"],
  }, { noRef: true });
  const g = result.git!;
  assert.equal(g.mode, "state");
  assert.equal(g.dirty, true);
  assert.equal(g.commit, before.head);
  assert.equal(g.branch, "main");
  assert.match(g.status, /^ M a.txt$/m);
});

Deno.test("not a repository, git missing, permission not granted → git null with the reason", async () => {
  const dir = tempDir("exprag-norepo-");
  const exprag = join(dir, ".exprag");
  let r = (await capture({ cwd: dir, expragDir: exprag })).result;
  assert.deepEqual(r, { git: null, reason: "not a git repository" });

  const repo = dirtyRepo();
  const before = repoState(repo);
  r = (await capture({
    cwd: repo,
    expragDir: exprag,
    flags: [`--allow-write=${exprag}`],
  })).result;
  assert.deepEqual(r, {
    git: null,
    reason: "run permission for git not granted (--allow-run=git)",
  });
  r = (await capture({
    cwd: repo,
    expragDir: exprag,
    flags: ["--allow-run=deno"],
  })).result;
  assert.deepEqual(r, {
    git: null,
    reason: "run permission for git not granted (--allow-run=git)",
  });

  const noGit = tempDir("exprag-nogit-");
  const env = { PATH: noGit };
  // --allow-run=git names a git Deno cannot find: told apart when PATH can be read
  r = (await capture({
    cwd: repo,
    expragDir: exprag,
    env,
    flags: ["--allow-run=git", "--allow-env=PATH", `--allow-read=${noGit}`],
  })).result;
  assert.deepEqual(r, { git: null, reason: "git not found on PATH" });
  // all subprocesses allowed, but no git on PATH
  r = (await capture({
    cwd: repo,
    expragDir: exprag,
    env,
    flags: ["--allow-run"],
  })).result;
  assert.deepEqual(r, { git: null, reason: "git not found on PATH" });
  assertUntouched(before, repoState(repo));
});

Deno.test("no read permission for the index: snapshot from HEAD's tree, noted; unsized untracked files skipped", async () => {
  const repo = dirtyRepo();
  const exprag = tempDir("exprag-out-");
  const { result, runId } = await captureUntouched(repo, {
    cwd: repo,
    expragDir: exprag,
    flags: ["--allow-run=git", `--allow-write=${exprag}`],
  });
  const g = result.git!;
  assert.match(
    result.unavailable!["git.index"],
    /read permission .*not granted \(--allow-read=.*index\)/,
  );
  assert.match(result.unavailable!["git.skipped"], /could not be sized/);
  const untracked = ["new/untracked.txt", 'quo"te é.txt', "with space.txt"];
  assert.deepEqual(g.skipped.map((s) => s.path).sort(), untracked.sort());
  for (const s of g.skipped) {
    assert.equal(s.bytes, null);
    assert.match(
      s.reason,
      /^size unknown: read permission for .* not granted \(--allow-read=/,
    );
  }
  await assertSnapshot(
    repo,
    g,
    runId,
    worktreeFiles(repo, (r) => isIgnored(r) || untracked.includes(r)),
  );
});

Deno.test("no write permission for the exprag dir: state only, the reason noted", async () => {
  const repo = dirtyRepo();
  const { result, before } = await captureUntouched(repo, {
    cwd: repo,
    expragDir: join(repo, ".exprag"),
    flags: ["--allow-run=git", "--allow-read"],
  }, { noRef: true });
  assert.equal(result.git!.mode, "state");
  assert.equal(result.git!.commit, before.head);
  assert.equal(result.git!.branch, "main");
  assert.match(
    result.unavailable!["git.snapshot"],
    /write permission for .* not granted \(--allow-write=/,
  );
});

Deno.test("an existing run/<id> branch is never overwritten", async () => {
  const repo = dirtyRepo();
  const runId = crypto.randomUUID();
  const head = gitQ(repo, "rev-parse", "HEAD");
  git(repo, "branch", `run/${runId}`);
  const { result } = await capture({
    cwd: repo,
    expragDir: join(repo, ".exprag"),
    runId,
  });
  assert.equal(gitQ(repo, "rev-parse", `run/${runId}`), head);
  assert.equal(result.git!.mode, "state");
  assert.match(result.unavailable!["git.snapshot"], /update-ref failed/);
});

Deno.test("8 runs starting at once in the same dirty repository: 8 distinct correct snapshots", async () => {
  const repo = dirtyRepo();
  git(repo, "pack-refs", "--all");
  const exprag = join(repo, ".exprag");
  const before = repoState(repo);
  const runs = await Promise.all(
    Array.from({ length: 8 }, () => capture({ cwd: repo, expragDir: exprag })),
  );
  const expected = worktreeFiles(
    repo,
    (r) => isIgnored(r) || r.startsWith(".exprag"),
  );
  const commits = new Set<string>();
  for (const { result, runId } of runs) {
    assert.equal(result.unavailable, undefined, JSON.stringify(result));
    await assertSnapshot(repo, result.git!, runId, expected);
    commits.add(result.git!.commit!);
  }
  assert.equal(commits.size, 8);
  const after = repoState(repo);
  assert.equal(after.head, before.head);
  assert.deepEqual(after.index, before.index);
  assert.equal(after.stash, before.stash);
  assertSameFiles(after.worktree, before.worktree, "worktree");
  assert.equal(
    gitQ(repo, "for-each-ref", "refs/heads/run/").split("\n").length,
    8,
  );
  assertNoTempFiles(exprag);
});

// ------------------------------------------------ end to end through Experiment

const EXPERIMENT_SCRIPT = `import { Experiment } from ${
  JSON.stringify(MOD_URL)
};
const exp = new Experiment("git-e2e", { snapshotMaxFileBytes: 1000 });
exp.track({ step: 0 });
exp.end();
`;

Deno.test("Experiment, least privilege: run_start.git is the snapshot; without --allow-run the reason is recorded", async () => {
  const repo = dirtyRepo();
  write(join(repo, "huge.bin"), new Uint8Array(1001));
  const notRuns = (r: string) => r.startsWith(".exprag");
  const before = repoState(repo, notRuns);
  const out = await runScript(repo, EXPERIMENT_SCRIPT, [
    "--allow-write=.exprag",
    "--allow-read=.",
    "--allow-run=git",
  ]);
  assert.equal(out.code, 0, out.stderr);
  const files = runFiles(join(repo, ".exprag"));
  assert.equal(files.length, 1);
  const start = readJsonl(files[0])[0] as {
    run_id: string;
    value: { git: GitState; unavailable: Record<string, string> };
  };
  const g = start.value.git;
  assert.equal(g.branch, `run/${start.run_id}`);
  assert.equal(g.head, before.head);
  assert.deepEqual(g.skipped, [{
    path: "huge.bin",
    bytes: 1001,
    reason: "larger than snapshotMaxFileBytes",
  }]);
  assert.equal(start.value.unavailable.git, undefined);
  assertUntouched(
    before,
    repoState(repo, notRuns),
    `refs/heads/run/${start.run_id}`,
  );
  await assertSnapshot(
    repo,
    g,
    start.run_id,
    worktreeFiles(
      repo,
      (r) => isIgnored(r) || r.startsWith(".exprag") || r === "huge.bin",
    ),
  );
  assertNoTempFiles(join(repo, ".exprag"));

  const out2 = await runScript(repo, EXPERIMENT_SCRIPT, [
    "--allow-write=.exprag",
  ]);
  assert.equal(out2.code, 0, out2.stderr);
  const second = runFiles(join(repo, ".exprag")).find((f) => f !== files[0])!;
  const start2 = readJsonl(second)[0] as {
    value: { git: GitState | null; unavailable: Record<string, string> };
  };
  assert.equal(start2.value.git, null);
  assert.equal(
    start2.value.unavailable.git,
    "run permission for git not granted (--allow-run=git)",
  );
});

Deno.test("git processes per capture: rev-parse, config and status; a snapshot adds update-index, write-tree, commit-tree, update-ref", async () => {
  // HEAD's commit and branch come from status's `# branch.*` headers; the
  // one rev-parse gives what status cannot: the top level (recorded, and
  // needed for the exprag dir's exclusion before status runs), the prefix
  // and the index path; `config` tells whether a filter or a submodule is
  // configured (only then is git timed through a worker, ~20 ms). Nothing
  // else may be spawned (each costs ~1.3 ms).
  const commands = async (cwd: string, expragDir: string) => {
    const trace = join(tempDir("exprag-trace-"), "trace.txt");
    const { result } = await capture({
      cwd,
      expragDir,
      env: { GIT_TRACE: trace },
    });
    const cmds = Deno.readTextFileSync(trace).split("\n").flatMap((l) => {
      const m = / trace: built-in: git (.*)$/.exec(l);
      if (m === null) return [];
      const argv = m[1].split(" ");
      let i = 0;
      while (argv[i]?.startsWith("-")) i += argv[i] === "-c" ? 2 : 1;
      return [argv[i]];
    });
    return { git: result.git!, cmds };
  };
  const snapshotCmds = [
    "rev-parse",
    "config",
    "status",
    "update-index",
    "write-tree",
    "commit-tree",
    "update-ref",
  ];
  const repo = makeRepo({ "a.txt": "1\n", "sub/b.txt": "b\n" });
  git(repo, "config", "user.name", "Repo User");
  git(repo, "config", "user.email", "repo@example.com");
  const exprag = join(repo, ".exprag");
  let c = await commands(repo, exprag);
  assert.deepEqual(c.cmds, ["rev-parse", "config", "status"], "clean");
  assert.equal(c.git.head_branch, "main");
  c = await commands(join(repo, "sub"), exprag);
  assert.deepEqual(
    c.cmds,
    ["rev-parse", "config", "status"],
    "clean, subdirectory",
  );
  write(join(repo, "a.txt"), "2\n");
  write(join(repo, "sub/new.txt"), "new\n");
  c = await commands(join(repo, "sub"), exprag);
  assert.deepEqual(c.cmds, snapshotCmds, "dirty, subdirectory");
  assert.equal(c.git.toplevel, repo);
  // detached HEAD
  git(repo, "checkout", "-q", "--detach");
  c = await commands(repo, exprag);
  assert.deepEqual(c.cmds, snapshotCmds, "dirty, detached");
  assert.equal(c.git.head_branch, null);
  // linked worktree
  const wt = join(tempDir("exprag-wt-"), "linked");
  git(repo, "worktree", "add", "-q", "-b", "feature", wt);
  c = await commands(wt, join(wt, ".exprag"));
  assert.deepEqual(
    c.cmds,
    ["rev-parse", "config", "status"],
    "clean, linked worktree",
  );
  assert.equal(c.git.head_branch, "feature");
  write(join(wt, "a.txt"), "3\n");
  c = await commands(wt, join(wt, ".exprag"));
  assert.deepEqual(c.cmds, snapshotCmds, "dirty, linked worktree");
  assert.equal(c.git.toplevel, wt);
  // unborn branch
  const empty = tempDir("exprag-repo-");
  git(empty, "init", "-q", "-b", "main");
  git(empty, "config", "user.name", "Repo User");
  git(empty, "config", "user.email", "repo@example.com");
  c = await commands(empty, join(empty, ".exprag"));
  assert.deepEqual(c.cmds, ["rev-parse", "config", "status"], "clean, unborn");
  write(join(empty, "u.txt"), "u\n");
  c = await commands(empty, join(empty, ".exprag"));
  assert.deepEqual(c.cmds, snapshotCmds, "dirty, unborn");
  assert.equal(c.git.head, null);
});
