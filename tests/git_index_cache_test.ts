// The reused temporary index (src/git/index_cache.ts): a snapshot keeps its
// temporary index in the exprag directory, and the next one starts from it
// so that unchanged untracked files are neither named to git nor hashed
// again. Whatever happens between two run starts (edits that keep sizes and
// times, reverts, deletions, files turned ignored, chmod, symlinks, staging,
// commits, an index rewritten by `git status`, a damaged or foreign kept
// index, runs starting at once), every snapshot must be exactly the tree
// that a copy of the real index plus `git add --all` gives.
import {
  deepStrictEqual as deepEqual,
  ok,
  strictEqual as equal,
} from "node:assert/strict";
import { join } from "node:path";
import { captureGit } from "../src/git/capture.ts";
import {
  git,
  GIT_ENV,
  IMPORT_TRACKER,
  makeRepo,
  readJsonl,
  runFiles,
  runScript,
  tempDir,
} from "./_helpers.ts";
import { exists, Rng, suiteSeed } from "./_faults.ts";

const MiB = 1024 * 1024;
const enc = new TextEncoder();

/** A repository whose exprag directory is set up as the tracker does (`.gitignore` holding `*`). */
function repoWithExprag(files: Record<string, string>): {
  repo: string;
  exprag: string;
} {
  const repo = makeRepo(files);
  const exprag = join(repo, ".exprag");
  Deno.mkdirSync(exprag);
  Deno.writeTextFileSync(join(exprag, ".gitignore"), "*\n");
  return { repo, exprag };
}

/**
 * The tree of the worktree as a copy of the real index plus `git add --all`
 * gives it. The copy keeps the index's modification time, as git sees the
 * real one: git takes an entry changed in the second the index was written
 * as possibly stale ("racy") and compares its content; a copy with a later
 * time would trust its stat data and could keep old content.
 */
function referenceTree(repo: string): string {
  const idx = join(tempDir("exprag-ref-index-"), "index");
  const real = join(repo, git(repo, "rev-parse", "--git-path", "index"));
  try {
    Deno.copyFileSync(real, idx);
    const mtime = Deno.statSync(real).mtime!;
    Deno.utimeSync(idx, mtime, mtime);
  } catch { /* no index yet */ }
  const env = { ...GIT_ENV, GIT_INDEX_FILE: idx };
  const run = (...args: string[]) =>
    new TextDecoder().decode(
      new Deno.Command("git", { args, cwd: repo, env, stdout: "piped" })
        .outputSync().stdout,
    ).trim();
  run("add", "--all");
  return run("write-tree");
}

/** One in-process capture (snapshot mode); returns its tree and its ref's name. */
function snap(repo: string, exprag: string): { tree: string; ref: string } {
  const cwd = Deno.cwd();
  Deno.chdir(repo);
  try {
    const runId = crypto.randomUUID();
    const r = captureGit({
      mode: "snapshot",
      runId,
      expragDir: exprag,
      maxFileBytes: 10 * MiB,
    });
    ok(r.git !== null, `no git state: ${r.reason}`);
    equal(r.unavailable?.["git.snapshot"], undefined, "a snapshot was taken");
    return { tree: r.git!.tree!, ref: `refs/heads/run/${runId}` };
  } finally {
    Deno.chdir(cwd);
  }
}

/** The paths one capture named to `git update-index` (from GIT_TRACE). */
function namedByCapture(repo: string, exprag: string): {
  tree: string;
  named: string[];
} {
  const trace = join(tempDir("exprag-trace-"), "trace.txt");
  Deno.env.set("GIT_TRACE", trace);
  let tree: string;
  try {
    tree = snap(repo, exprag).tree;
  } finally {
    Deno.env.delete("GIT_TRACE");
  }
  const named: string[] = [];
  for (const line of Deno.readTextFileSync(trace).split("\n")) {
    const m = /trace: built-in: git update-index (.*)$/.exec(line);
    if (m === null || /--cacheinfo|skip-worktree/.test(m[1])) continue;
    for (const a of m[1].split(" ")) {
      if (a.startsWith("'./")) named.push(a.slice(3, -1));
      else if (a.startsWith("./")) named.push(a.slice(2));
    }
  }
  return { tree, named };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Blocks until the clock is past the second of `t` (file times are whole seconds to git). */
function untilAfter(t: Date): void {
  const wait = new Int32Array(new SharedArrayBuffer(4));
  const end = (Math.floor(t.getTime() / 1000) + 1) * 1000 + 20;
  while (Date.now() < end) Atomics.wait(wait, 0, 0, end - Date.now());
}

function write(path: string, text: string | Uint8Array): void {
  Deno.mkdirSync(join(path, ".."), { recursive: true });
  if (typeof text === "string") Deno.writeTextFileSync(path, text);
  else Deno.writeFileSync(path, text);
}

Deno.test("a kept index: unchanged untracked files are not named again, changed ones are, and every snapshot is exact", async () => {
  const { repo, exprag } = repoWithExprag({
    "a.txt": "a\n",
    "src/b.txt": "b\n",
  });
  for (let i = 0; i < 30; i++) write(join(repo, `u/f${i}.txt`), `u${i}\n`);
  write(join(repo, "a.txt"), "a edited\n");
  await sleep(2100); // every file's last change is now more than 2 s old
  const first = namedByCapture(repo, exprag);
  equal(first.tree, referenceTree(repo));
  equal(first.named.filter((p) => p.startsWith("u/")).length, 30);
  ok(first.named.includes("a.txt"));
  ok(
    [...Deno.readDirSync(exprag)].some((e) => /\.tmp\.cache$/.test(e.name)),
    "the temporary index is kept",
  );
  // nothing changed: nothing named at all (no update-index call)
  const second = namedByCapture(repo, exprag);
  equal(second.tree, first.tree);
  deepEqual(second.named, []);
  // one untracked file rewritten with the same size and its old mtime
  const f7 = join(repo, "u/f7.txt");
  const before = Deno.statSync(f7).mtime!;
  write(f7, "U7\n");
  Deno.utimeSync(f7, before, before);
  write(join(repo, "u/new.txt"), "new\n");
  Deno.removeSync(join(repo, "u/f3.txt"));
  const third = namedByCapture(repo, exprag);
  equal(third.tree, referenceTree(repo));
  ok(third.named.includes("u/f7.txt"), "a same-size rewrite is seen");
  ok(third.named.includes("u/new.txt"));
  ok(third.named.includes("u/f3.txt"), "a vanished untracked file is removed");
  // (f7 twice: its kept entry removed, then the file added)
  deepEqual(
    [...new Set(third.named.filter((p) => /^u\/f\d+\.txt$/.test(p)))].sort(),
    ["u/f3.txt", "u/f7.txt"],
  );
  // a file changed just before a snapshot is never trusted by the next one,
  // even when a rewrite keeps its size, mtime and (to the second) ctime
  const r = join(repo, "u/recent.txt");
  write(r, "r1\n");
  snap(repo, exprag);
  const rm = Deno.statSync(r).mtime!;
  write(r, "r2\n");
  Deno.utimeSync(r, rm, rm);
  const racy = namedByCapture(repo, exprag);
  ok(racy.named.includes("u/recent.txt"));
  equal(racy.tree, referenceTree(repo));
  // a tracked edit reverted by hand (the real index stays the same file):
  // its path is named again, to the index's content
  write(join(repo, "a.txt"), "a\n");
  const fourth = namedByCapture(repo, exprag);
  equal(fourth.tree, referenceTree(repo));
  ok(fourth.named.includes("a.txt"));
});

Deno.test("a kept index: a file rewritten in the second of its entry's ctime, keeping its size and an old mtime, is hashed again", async () => {
  const { repo, exprag } = repoWithExprag({ "t.txt": "t\n" });
  const old = new Date(Date.now() - 3_600_000);
  const files = ["u.txt", "t.txt"].map((p) => join(repo, p)); // untracked, tracked
  untilAfter(new Date()); // the real index's entries are of an earlier second
  let produced = 0;
  for (let attempt = 0; attempt < 10 && produced === 0; attempt++) {
    await sleep(1020 - Date.now() % 1000); // the start of a second
    for (const f of files) {
      write(f, `a${attempt % 10}\n`);
      Deno.utimeSync(f, old, old); // the ctime is now, the mtime an hour ago
    }
    const ctimes = files.map((f) => Deno.statSync(f).ctime!.getTime());
    snap(repo, exprag); // keeps entries with those stat data
    for (const f of files) {
      write(f, `b${attempt % 10}\n`);
      Deno.utimeSync(f, old, old);
    }
    const same = files.every((f, i) =>
      Deno.statSync(f).ctime!.getTime() === ctimes[i]
    );
    const { tree } = snap(repo, exprag);
    equal(tree, referenceTree(repo), `attempt ${attempt}`);
    const blob = (p: string) => git(repo, "rev-parse", `${tree}:${p}`);
    equal(blob("u.txt"), git(repo, "hash-object", "u.txt"));
    equal(blob("t.txt"), git(repo, "hash-object", "t.txt"));
    if (same) produced++;
  }
  ok(produced > 0, "no rewrite fell in the second of the first snapshot");
});

Deno.test("a kept index: a file whose name is not UTF-8, rewritten so in the second of its entry, is hashed again (staged through git add)", async () => {
  const { repo, exprag } = repoWithExprag({ "t.txt": "t\n" });
  const old = Math.floor(Date.now() / 1000) - 3600;
  const name = "$'\\xff-u.txt'"; // bash quoting: the byte 0xff
  const rewrite = (text: string) =>
    new TextDecoder().decode(
      new Deno.Command("bash", {
        args: [
          "-c",
          `printf '${text}\\n' > ${name} && touch -d @${old} ${name} && stat -c %Z ${name}`,
        ],
        cwd: repo,
        stdout: "piped",
      }).outputSync().stdout,
    ).trim();
  let produced = 0;
  for (let attempt = 0; attempt < 10 && produced === 0; attempt++) {
    await sleep(1020 - Date.now() % 1000); // the start of a second
    const ctime = rewrite(`a${attempt % 10}`);
    snap(repo, exprag);
    const same = rewrite(`b${attempt % 10}`) === ctime;
    const { tree } = snap(repo, exprag);
    equal(tree, referenceTree(repo), `attempt ${attempt}`);
    ok(git(repo, "ls-tree", tree).includes('"\\377-u.txt"'));
    if (same) produced++;
  }
  ok(produced > 0, "no rewrite fell in the second of the first snapshot");
});

Deno.test("a kept index: a file the real index deletes, added as untracked, then ignored, is left out", () => {
  const { repo, exprag } = repoWithExprag({ "g.txt": "g\n", "a.txt": "a\n" });
  git(repo, "rm", "-q", "--cached", "g.txt"); // staged deletion; the file stays
  const first = snap(repo, exprag).tree;
  equal(first, referenceTree(repo));
  ok(git(repo, "ls-tree", "--name-only", first).split("\n").includes("g.txt"));
  // ignored now, without a write of the real index: the kept index is used
  Deno.writeTextFileSync(join(repo, ".git", "info", "exclude"), "g.txt\n", {
    append: true,
  });
  const second = snap(repo, exprag).tree;
  equal(second, referenceTree(repo));
  ok(
    !git(repo, "ls-tree", "--name-only", second).split("\n").includes("g.txt"),
  );
  // and back: not ignored, untracked again
  Deno.writeTextFileSync(join(repo, ".git", "info", "exclude"), "");
  const third = snap(repo, exprag).tree;
  equal(third, first);
});

Deno.test("a kept index: a path the real index renames, then left ignored, is left out", () => {
  const { repo, exprag } = repoWithExprag({ "old.txt": "o\n", "a.txt": "a\n" });
  git(repo, "mv", "old.txt", "new.txt");
  write(join(repo, "old.txt"), "o2\n"); // untracked, at the old name
  const first = snap(repo, exprag).tree;
  equal(first, referenceTree(repo));
  Deno.writeTextFileSync(join(repo, ".git", "info", "exclude"), "old.txt\n", {
    append: true,
  });
  const second = snap(repo, exprag).tree;
  equal(second, referenceTree(repo));
  ok(
    !git(repo, "ls-tree", "--name-only", second).split("\n").includes(
      "old.txt",
    ),
  );
});

Deno.test("a file renamed in the worktree to an intent-to-add path: the old path is left out, from a copy and from a kept index", () => {
  const { repo, exprag } = repoWithExprag({
    "old.txt": "a file long enough for rename detection\n",
    "a.txt": "a\n",
  });
  Deno.renameSync(join(repo, "old.txt"), join(repo, "new.txt"));
  git(repo, "add", "-N", "new.txt");
  ok(/^2 \.R /m.test(git(repo, "status", "--porcelain=v2")), "status: .R");
  for (const which of ["copy", "kept"]) {
    const { tree } = snap(repo, exprag);
    equal(tree, referenceTree(repo), which);
    const names = git(repo, "ls-tree", "--name-only", tree).split("\n");
    ok(names.includes("new.txt") && !names.includes("old.txt"), which);
  }
});

// Found by an adversarial round (2026-12-04): settings, attributes, names
// that are not UTF-8, skip-worktree and split indexes between two runs.
const realIndex = (repo: string) =>
  Deno.readFileSync(join(repo, ".git", "index"));
function sh(repo: string, cmd: string) {
  const o = new Deno.Command("bash", {
    args: ["-c", cmd],
    cwd: repo,
    env: GIT_ENV,
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  if (!o.success) {
    throw new Error(`${cmd}: ${new TextDecoder().decode(o.stderr)}`);
  }
  return new TextDecoder().decode(o.stdout).trim();
}
const ls = (repo: string, tree: string) => git(repo, "ls-tree", "-r", tree);

/** snap1, change, snap2 (kept index), each compared with the reference; index bytes untouched. */
async function twoSnaps(
  label: string,
  setup: (repo: string) => void,
  change: (repo: string) => void,
  files: Record<string, string> = { "a.txt": "a\n" },
) {
  const { repo, exprag } = repoWithExprag(files);
  setup(repo);
  await sleep(2100);
  const before1 = realIndex(repo);
  const s1 = snap(repo, exprag).tree;
  deepEqual(realIndex(repo), before1, `${label}: index untouched 1`);
  const r1 = referenceTree(repo);
  equal(s1, r1, `${label}: first\n${ls(repo, s1)}\n--- ref\n${ls(repo, r1)}`);
  change(repo);
  const before2 = realIndex(repo);
  const s2 = snap(repo, exprag).tree;
  deepEqual(realIndex(repo), before2, `${label}: index untouched 2`);
  const r2 = referenceTree(repo);
  equal(s2, r2, `${label}: second\n${ls(repo, s2)}\n--- ref\n${ls(repo, r2)}`);
  const s3 = snap(repo, exprag).tree;
  equal(s3, referenceTree(repo), `${label}: third`);
}

/** snaps after each step, each compared with the reference; index bytes untouched. */
function steps(
  label: string,
  files: Record<string, string>,
  acts: [string, (repo: string) => unknown][],
  ref: (repo: string) => string = referenceTree,
) {
  const { repo, exprag } = repoWithExprag(files);
  for (const [name, act] of acts) {
    act(repo);
    const before = realIndex(repo);
    const s = snap(repo, exprag).tree;
    deepEqual(realIndex(repo), before, `${label}/${name}: index untouched`);
    const r = ref(repo);
    equal(s, r, `${label}/${name}\n${ls(repo, s)}\n--- ref\n${ls(repo, r)}`);
  }
}

// Conversion settings changed between runs (no write of .git/index): a kept
// entry of an unchanged file is trusted by its stat data alone, so it kept
// the blob or mode made under the old settings; now the record holds the
// hashing context (src/git/hash_context.ts) and a changed one is not used.
Deno.test("a kept index is not used after core.filemode changes (an untracked executable file)", async () => {
  await twoSnaps(
    "filemode",
    (r) => sh(r, "printf 'x\\n' > run.sh && chmod +x run.sh"),
    (r) => git(r, "config", "core.filemode", "false"),
  );
});
Deno.test("a kept index is not used after core.autocrlf changes (a tracked CRLF edit)", async () => {
  await twoSnaps(
    "autocrlf",
    (r) => sh(r, "printf 'b\\r\\nc\\r\\n' > a.txt"),
    (r) => git(r, "config", "core.autocrlf", "input"),
  );
});
Deno.test("a kept index is not used after a .gitattributes appears (an untracked CRLF file)", async () => {
  await twoSnaps(
    ".gitattributes",
    (r) => sh(r, "printf 'x\\r\\ny\\r\\n' > u.txt"),
    (r) => sh(r, "printf '*.txt text eol=lf\\n' > .gitattributes"),
  );
});
Deno.test("a kept index is not used after a clean filter changes in the configuration", async () => {
  await twoSnaps("clean filter", (r) => {
    sh(r, "printf '*.dat filter=up\\n' > .git/info/attributes");
    git(r, "config", "filter.up.clean", "cat");
    sh(r, "printf 'hello\\n' > u.dat");
  }, (r) => git(r, "config", "filter.up.clean", "tr a-z A-Z"));
});

// A name that is not UTF-8, added as untracked, then ignored: its removal
// went through `git add --all -- :(top,literal)<name>`, which updates an
// ignored file that is in the index instead of dropping it (now `git rm
// --cached`).
Deno.test("a kept index: an untracked file whose name is not UTF-8, then excluded, is left out", () => {
  steps("nonutf8", { "a.txt": "a\n" }, [
    [
      "create",
      (r) => sh(r, "printf 'x\\n' > $'\\xff-u.txt'; printf 'y\\n' > a.txt"),
    ],
    ["exclude", (r) => sh(r, "printf '*-u.txt\\n' >> .git/info/exclude")],
  ]);
});

/** The snapshot from a copy of the real index (an exprag directory outside the repository, never used before). */
function copySnap(repo: string): string {
  return snap(repo, tempDir("exprag-outside-")).tree;
}

// A skip-worktree file edited (unflagged and updated in the temporary
// index), then deleted: the path (touched, not reported now) was named
// again and --remove dropped it, where a copy of the real index keeps the
// recorded entry (absent is not deleted); now such a path starts over from a
// copy. Compared with a snapshot from a copy: `git add --all` would also
// leave out the edit, which a snapshot includes by design.
Deno.test("a kept index: a skip-worktree file edited, then deleted, keeps its recorded content (as from a copy)", () => {
  steps("skip-worktree", { "a.txt": "a\n", "b.txt": "b\n" }, [
    ["flag + edit", (r) => {
      sh(r, "printf 'u\\n' > u.txt");
      git(r, "update-index", "--skip-worktree", "b.txt");
      sh(r, "printf 'B2\\n' > b.txt");
    }],
    ["delete", (r) => sh(r, "rm b.txt")],
  ], copySnap);
});

// core.splitIndex=true in the user's config: write-tree on the temporary
// index wrote it split, creating .git/sharedindex.*, and with
// splitIndex.sharedIndexExpire=now deleted the real index's shared index:
// the user's index was broken. Every call on it now has core.splitIndex=false.
Deno.test("core.splitIndex=true: a snapshot writes no shared index into .git and the user's index stays readable", () => {
  const { repo, exprag } = repoWithExprag({ "a.txt": "a\n" });
  git(repo, "config", "core.splitIndex", "true");
  git(repo, "config", "splitIndex.sharedIndexExpire", "now");
  git(repo, "update-index", "--split-index");
  const shared = () =>
    [...Deno.readDirSync(join(repo, ".git"))].map((e) => e.name)
      .filter((n) => n.startsWith("sharedindex.")).sort();
  const before = shared();
  sh(repo, "sleep 1.1; printf 'B\\n' > a.txt");
  snap(repo, exprag);
  const st = new Deno.Command("git", {
    args: ["status", "--porcelain"],
    cwd: repo,
    stderr: "piped",
  }).outputSync();
  equal(st.code, 0, new TextDecoder().decode(st.stderr));
  deepEqual(shared(), before);
});

// Found by a second adversarial round: attributes git applies that status
// never shows, a relative core.attributesFile, a damaged kept index whose
// trailing checksum still matches, least privilege under a terminal.
Deno.test("a kept index is not used after an ignored .gitattributes appears (attributes come from git check-attr)", async () => {
  await twoSnaps(
    "ignored .gitattributes",
    (r) => sh(r, "mkdir -p sub && printf 'x\\r\\ny\\r\\n' > sub/u.txt"),
    (r) => sh(r, "printf '* text\\n' > sub/.gitattributes"),
    { "a.txt": "a\n", ".gitignore": "sub/.gitattributes\n" },
  );
});

Deno.test("a kept index is not used after a relative core.attributesFile changes, from a subdirectory", async () => {
  const { repo, exprag } = repoWithExprag({
    "a.txt": "a\n",
    "sub/k.txt": "k\n",
  });
  sh(repo, "printf 'x\\r\\ny\\r\\n' > u.txt; printf '' > .git/myattrs");
  git(repo, "config", "core.attributesFile", ".git/myattrs");
  await sleep(2100);
  const tree = () => {
    const cwd = Deno.cwd();
    Deno.chdir(join(repo, "sub"));
    try {
      return captureGit({
        mode: "snapshot",
        runId: crypto.randomUUID(),
        expragDir: exprag,
        maxFileBytes: MiB,
      }).git!.tree!;
    } finally {
      Deno.chdir(cwd);
    }
  };
  equal(tree(), referenceTree(repo), "first");
  sh(repo, "printf '* text\\n' > .git/myattrs");
  equal(tree(), referenceTree(repo), "second");
});

Deno.test("a kept index with one damaged byte (its trailing checksum intact) is not used", async () => {
  const { repo, exprag } = repoWithExprag({ "a.txt": "a\n" });
  sh(
    repo,
    "mkdir u; for i in 1 2 3; do printf \"u$i\\n\" > u/file$i.txt; done; printf 'A\\n' > a.txt",
  );
  await sleep(2100);
  equal(snap(repo, exprag).tree, referenceTree(repo));
  const name =
    [...Deno.readDirSync(exprag)].find((e) => e.name.endsWith(".tmp.cache"))!
      .name;
  const cache = join(exprag, name);
  const b = Deno.readFileSync(cache);
  const at = new TextDecoder("latin1").decode(b).indexOf("u/file2.txt");
  equal(b[at - 35], 0xa4, "the low byte of the entry's mode");
  b[at - 35] = 0xed; // 100644 -> 100755; git does not verify the checksum
  const st = Deno.statSync(cache);
  Deno.writeFileSync(cache, b);
  Deno.utimeSync(cache, st.mtime!, st.mtime!);
  sh(repo, "printf 'changed\\n' > u/file1.txt");
  const { tree } = snap(repo, exprag);
  equal(tree, referenceTree(repo), ls(repo, tree));
});

Deno.test("least privilege on a terminal: no prompt, the kept index used, and not after the global attributes change", async () => {
  const { repo, exprag } = repoWithExprag({ "a.txt": "a\n" });
  const home = tempDir("exprag-home-");
  Deno.mkdirSync(join(home, ".config", "git"), { recursive: true });
  const globalAttributes = join(home, ".config", "git", "attributes");
  Deno.writeTextFileSync(globalAttributes, "");
  sh(
    repo,
    "mkdir -p u; for i in $(seq 0 19); do printf \"x$i\\r\\n\" > u/f$i.txt; done; printf 'A\\n' > a.txt",
  );
  await sleep(2100);
  const script = join(tempDir("exprag-script-"), "train.ts");
  Deno.writeTextFileSync(
    script,
    IMPORT_TRACKER + `new Experiment("lp").end();\n`,
  );
  const q = (a: string) => `'${a.replaceAll("'", `'"'"'`)}'`;
  const cmd = [
    Deno.execPath(),
    "run",
    "--no-prompt",
    "--allow-write=.exprag",
    "--allow-read=.",
    "--allow-run=git",
    script,
  ].map(q).join(" ");
  const seen = new Set<string>();
  const named: number[] = [];
  for (let i = 0; i < 3; i++) {
    if (i === 2) Deno.writeTextFileSync(globalAttributes, "*.txt text\n");
    const trace = join(tempDir("exprag-trace-"), "trace.txt");
    const o = new Deno.Command("script", {
      args: ["-qec", cmd, "/dev/null"],
      cwd: repo,
      env: { HOME: home, TERM: "xterm", GIT_TRACE: trace },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).outputSync();
    const out = new TextDecoder().decode(o.stdout) +
      new TextDecoder().decode(o.stderr);
    equal(o.code, 0, out);
    ok(!/Deno requests|Allow\?/.test(out), out);
    named.push(
      Deno.readTextFileSync(trace).split("\n").filter((l) =>
        / git update-index /.test(l) && !/--cacheinfo|skip-worktree/.test(l)
      ).length,
    );
    const file = runFiles(exprag).filter((f) => !seen.has(f));
    equal(file.length, 1);
    seen.add(file[0]);
    const tree = (readJsonl(file[0])[0].value as { git: { tree: string } })
      .git.tree;
    const env = { ...GIT_ENV, HOME: home };
    const idx = join(tempDir("exprag-ref-index-"), "index");
    Deno.copyFileSync(join(repo, ".git", "index"), idx);
    const mtime = Deno.statSync(join(repo, ".git", "index")).mtime!;
    Deno.utimeSync(idx, mtime, mtime);
    const ref = (...args: string[]) =>
      new TextDecoder().decode(
        new Deno.Command("git", {
          args,
          cwd: repo,
          env: { ...env, GIT_INDEX_FILE: idx },
          stdout: "piped",
        }).outputSync().stdout,
      ).trim();
    ref("add", "--all");
    equal(tree, ref("write-tree"), `run ${i}`);
    await sleep(1100);
  }
  // run 1 named nothing (the kept index), run 2 everything again
  deepEqual(named.map((n) => n > 0), [true, false, true]);
});

Deno.test("property: whatever happens between run starts, a snapshot from the kept index equals a copy of the real index plus git add --all", async () => {
  const seed = suiteSeed(0x1dc_0012);
  const r = new Rng(seed);
  const { repo, exprag } = repoWithExprag({
    "a.txt": "a\n",
    "b.txt": "bb\n",
    "src/c.txt": "ccc\n",
    "src/d/e.txt": "eeee\n",
    ".gitignore": "*.log\n",
  });
  let n = 0;
  const untracked = () =>
    [...walk(repo)].filter((p) =>
      !tracked().includes(p) && !p.endsWith(".log") && !isIgnored(repo, p)
    );
  const tracked = () => git(repo, "ls-files").split("\n").filter(Boolean);
  const anyFile = () => r.pick([...tracked(), ...untracked()]);
  const text = () => `${r.int(0, 9)}${"x".repeat(r.int(0, 3))}\n`;
  const ops: [string, () => void][] = [
    [
      "new untracked",
      () => write(join(repo, `u${r.int(0, 3)}/n${n++}.txt`), text()),
    ],
    ["edit", () => {
      const p = anyFile();
      if (p !== undefined && exists(join(repo, p))) {
        write(join(repo, p), text());
      }
    }],
    ["same size, old mtime", () => {
      const p = anyFile();
      const abs = join(repo, p ?? "");
      if (p === undefined || !isFile(abs)) return;
      // git compares whole seconds: a tracked file rewritten so in the
      // second of its real index entry's ctime is unchanged to git itself
      // (and to the reference); an untracked one is not held back so
      if (tracked().includes(p)) untilAfter(Deno.statSync(abs).ctime!);
      const st = Deno.statSync(abs);
      const bytes = Deno.readFileSync(abs);
      if (bytes.length === 0) return;
      bytes[0] = bytes[0] === 0x41 ? 0x42 : 0x41;
      Deno.writeFileSync(abs, bytes);
      Deno.utimeSync(abs, st.atime!, st.mtime!);
    }],
    ["delete", () => {
      const p = anyFile();
      if (p !== undefined && exists(join(repo, p))) {
        Deno.removeSync(join(repo, p));
      }
    }],
    ["revert tracked", () => {
      const p = r.pick(tracked());
      if (p === undefined) return;
      // may fail (e.g. a symlink entry where a directory now is): fine
      new Deno.Command("git", {
        args: ["checkout", "--", p],
        cwd: repo,
        env: GIT_ENV,
        stderr: "null",
      }).outputSync();
    }],
    ["chmod +x", () => {
      const p = anyFile();
      const abs = join(repo, p ?? "");
      if (p !== undefined && isFile(abs)) {
        Deno.chmodSync(abs, (Deno.statSync(abs).mode! & 0o100) ? 0o644 : 0o755);
      }
    }],
    ["symlink", () => {
      const p = r.pick(untracked());
      if (p === undefined) return;
      Deno.removeSync(join(repo, p));
      Deno.symlinkSync("a.txt", join(repo, p));
    }],
    ["file becomes a directory", () => {
      const p = r.pick(untracked());
      if (p === undefined || !isFile(join(repo, p))) return;
      Deno.removeSync(join(repo, p));
      write(join(repo, p, "inner.txt"), text());
    }],
    ["ignore an untracked file", () => {
      const p = r.pick(untracked());
      const gi = join(repo, ".gitignore");
      if (p !== undefined && (isFile(gi) || !exists(gi))) {
        Deno.writeTextFileSync(gi, `/${p}\n`, {
          append: true,
        });
      }
    }],
    ["exclude an untracked file (.git/info/exclude)", () => {
      const p = r.pick(untracked());
      if (p !== undefined) {
        Deno.writeTextFileSync(join(repo, ".git/info/exclude"), `/${p}\n`, {
          append: true,
        });
      }
    }],
    ["git rm --cached", () => {
      const p = r.pick(tracked());
      if (p !== undefined) git(repo, "rm", "-q", "-f", "--cached", "--", p);
    }],
    ["git mv", () => {
      const p = r.pick(tracked());
      if (p !== undefined && isFile(join(repo, p))) {
        git(repo, "mv", "-k", "--", p, `${p}.m${n++}`);
      }
    }],
    ["git add -N", () => {
      const p = r.pick(untracked());
      if (p !== undefined) git(repo, "add", "-N", "--", p);
    }],
    ["rename in the worktree, add -N", () => {
      const p = r.pick(tracked());
      if (p === undefined || !isFile(join(repo, p))) return;
      Deno.renameSync(join(repo, p), join(repo, `${p}.w${n}`));
      git(repo, "add", "-N", "--", `${p}.w${n++}`);
    }],
    ["git add", () => {
      const p = anyFile();
      if (p !== undefined) git(repo, "add", "-A", "--", p);
    }],
    ["commit", () => {
      git(repo, "add", "-A");
      git(repo, "commit", "-q", "--allow-empty", "-m", `c${n++}`);
    }],
    ["git status (may rewrite the index)", () => {
      new Deno.Command("git", { args: ["status"], cwd: repo, stdout: "null" })
        .outputSync();
    }],
  ];
  const done: string[] = [];
  for (let step = 0; step < 36; step++) {
    if (step === 12 || step === 24) await sleep(2100); // let files become trusted
    for (let k = r.int(1, 3); k > 0; k--) {
      const [name, op] = r.pick(ops);
      op();
      done.push(name);
    }
    const realBefore = Deno.readFileSync(join(repo, ".git", "index"));
    const { tree, ref } = snap(repo, exprag);
    deepEqual(
      Deno.readFileSync(join(repo, ".git", "index")),
      realBefore,
      "the real index is untouched",
    );
    equal(
      tree,
      referenceTree(repo),
      `step ${step} (seed ${seed}) after: ${done.slice(-3).join(", ")}`,
    );
    git(repo, "update-ref", "-d", ref);
  }
  console.log(`kept-index property: 36 snapshots exact (seed ${seed})`);
});

Deno.test("a damaged, truncated or foreign kept index never changes a snapshot", async () => {
  const { repo, exprag } = repoWithExprag({ "a.txt": "a\n" });
  for (let i = 0; i < 5; i++) write(join(repo, `u/f${i}.txt`), `${i}\n`);
  await sleep(2100);
  snap(repo, exprag);
  const cache =
    [...Deno.readDirSync(exprag)].find((e) => e.name.endsWith(".tmp.cache"))!
      .name;
  const other = repoWithExprag({ "z.txt": "z\n" });
  write(join(other.repo, "q.txt"), "q\n");
  snap(other.repo, other.exprag);
  const path = join(exprag, cache);
  const damage: [string, () => void][] = [
    ["a flipped byte", () => {
      const b = Deno.readFileSync(path);
      b[Math.floor(b.length / 2)] ^= 0xff;
      Deno.writeFileSync(path, b);
    }],
    ["truncated", () => {
      const b = Deno.readFileSync(path);
      Deno.writeFileSync(path, b.subarray(0, b.length - 7));
    }],
    ["another repository's", () => {
      const o = [...Deno.readDirSync(other.exprag)].find((e) =>
        e.name.endsWith(".tmp.cache")
      )!.name;
      Deno.copyFileSync(join(other.exprag, o), path);
      Deno.copyFileSync(
        join(other.exprag, `${o}-record`),
        join(exprag, `${cache}-record`),
      );
    }],
    ["a garbage record", () => {
      Deno.writeFileSync(join(exprag, `${cache}-record`), enc.encode("x\n"));
    }],
    ["gone", () => Deno.removeSync(path)],
  ];
  for (const [what, spoil] of damage) {
    write(join(repo, "u/f1.txt"), `${what}\n`); // something to snapshot
    snap(repo, exprag); // keeps a fresh one
    spoil();
    write(join(repo, "u/f2.txt"), `${what} too\n`);
    equal(snap(repo, exprag).tree, referenceTree(repo), what);
  }
});

Deno.test("runs starting at once with a kept index: every snapshot is exact, and so is the next one", async () => {
  const { repo, exprag } = repoWithExprag({ "a.txt": "a\n" });
  for (let i = 0; i < 40; i++) write(join(repo, `u/f${i}.txt`), `${i}\n`);
  await sleep(2100);
  snap(repo, exprag);
  write(join(repo, "u/f0.txt"), "changed\n");
  const expected = referenceTree(repo);
  const flags = ["--allow-write=.exprag", "--allow-read=.", "--allow-run=git"];
  const outs = await Promise.all(
    Array.from(
      { length: 4 },
      () =>
        runScript(
          repo,
          IMPORT_TRACKER + `new Experiment("at once").end();\n`,
          flags,
        ),
    ),
  );
  for (const o of outs) equal(o.code, 0, o.stderr);
  const trees = runFiles(exprag).map((f) =>
    (readJsonl(f)[0].value as { git: { tree: string } }).git.tree
  );
  deepEqual(trees, [expected, expected, expected, expected]);
  write(join(repo, "u/f1.txt"), "changed too\n");
  equal(snap(repo, exprag).tree, referenceTree(repo));
});

Deno.test("without read permission for the exprag directory nothing is kept, and the snapshot is exact", async () => {
  const { repo, exprag } = repoWithExprag({ "a.txt": "a\n" });
  write(join(repo, "u/f.txt"), "f\n");
  const expected = referenceTree(repo);
  const o = await runScript(
    repo,
    IMPORT_TRACKER + `new Experiment("no read").end();\n`,
    ["--allow-write=.exprag", "--allow-read=.git,u,a.txt", "--allow-run=git"],
  );
  equal(o.code, 0, o.stderr);
  const [file] = runFiles(exprag);
  equal(
    (readJsonl(file)[0].value as { git: { tree: string } }).git.tree,
    expected,
  );
  deepEqual(
    [...Deno.readDirSync(exprag)].map((e) => e.name).filter((n) =>
      n.startsWith(".git-")
    ),
    [],
  );
});

function* walk(top: string, rel = ""): Generator<string> {
  for (const e of Deno.readDirSync(join(top, rel))) {
    const p = rel === "" ? e.name : `${rel}/${e.name}`;
    if (e.name === ".git" || e.name === ".exprag") continue;
    if (e.isDirectory) yield* walk(top, p);
    else yield p;
  }
}

function isIgnored(repo: string, p: string): boolean {
  return new Deno.Command("git", {
    args: ["check-ignore", "-q", "--", p],
    cwd: repo,
  }).outputSync().code === 0;
}

function isFile(p: string): boolean {
  try {
    return Deno.lstatSync(p).isFile;
  } catch {
    return false;
  }
}
