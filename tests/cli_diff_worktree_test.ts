// `exprag diff RUN` (the run's code against the current worktree, as a
// snapshot would see it) and the one-line note when two sides have the
// same code, in diff and compare: real repositories, real processes.
import {
  deepStrictEqual,
  match,
  ok,
  strictEqual as equal,
} from "node:assert/strict";
import { join } from "node:path";
import { commitAll, git, makeRepo } from "./_helpers.ts";
import {
  ALLOWED_GIT_OPTIONS,
  cli,
  gitState,
  makeExprag,
  oneLine,
  RUN_A as A,
  RUN_B as B,
  twoRunRepo,
  writeDenoRun,
} from "./_cli_fixtures.ts";
import { G } from "./_git_fixtures.ts";
import { loggingGit } from "./_faults.ts";

/** HEAD, the branch, the index (staged entries with stat data), the status, the stash. */
function userState(repo: string): string[] {
  return [
    git(repo, "rev-parse", "HEAD"),
    git(repo, "symbolic-ref", "-q", "HEAD"),
    git(repo, "ls-files", "-s", "--debug"),
    git(repo, "status", "--porcelain", "--untracked-files=all"),
    git(repo, "stash", "list"),
  ];
}

/** Runs A and B with the same code: the same commit, or (dirty) the same edits in two snapshots. */
function sameCodeRuns(dirty: boolean): { repo: string; dir: string } {
  const repo = makeRepo({ "train.ts": "a\n", ".gitignore": ".exprag/\n" });
  const dir = makeExprag(repo);
  if (dirty) Deno.writeTextFileSync(join(repo, "train.ts"), "dirty\n");
  for (const [id, days] of [[A, 2], [B, 1]] as const) {
    writeDenoRun(dir, {
      id,
      daysAgo: days,
      end: "finished",
      git: gitState(repo, id),
    });
  }
  return { repo, dir };
}

Deno.test("diff RUN: the run's code against the worktree, tracked edits, deletions and untracked files included, exprag dir left out", async () => {
  const { repo } = twoRunRepo({
    files: { "src/m.ts": "m\n", "old.ts": "o\n" },
  });
  // the worktree now: an edit, a staged edit, a deletion, an untracked file, an ignored one
  Deno.writeTextFileSync(join(repo, "train.ts"), "const lr = 0.5;\n");
  Deno.writeTextFileSync(join(repo, "src/m.ts"), "m2\n");
  git(repo, "add", "src/m.ts");
  Deno.removeSync(join(repo, "old.ts"));
  Deno.writeTextFileSync(join(repo, "new.ts"), "export {};\n");
  Deno.writeTextFileSync(join(repo, ".gitignore"), ".exprag/\n*.ckpt\n");
  Deno.writeTextFileSync(join(repo, "model.ckpt"), "weights\n");
  const before = userState(repo);
  const o = await cli(repo, G, ["diff", B]);
  equal(o.code, 0, o.stderr);
  equal(o.stderr, "");
  ok(o.stdout.includes("-const lr = 0.03;\n+const lr = 0.5;"), o.stdout);
  ok(o.stdout.includes("-m\n+m2"), o.stdout);
  ok(
    o.stdout.includes("diff --git a/new.ts b/new.ts\nnew file mode"),
    o.stdout,
  );
  ok(o.stdout.includes("diff --git a/old.ts b/old.ts\ndeleted file mode"));
  ok(!o.stdout.includes("model.ckpt"), "ignored files are not code");
  ok(!o.stdout.includes("a/.exprag/"), o.stdout);
  deepStrictEqual(userState(repo), before, "index, HEAD, files untouched");
  // --stat and --path, as diff A B
  const s = await cli(repo, G, ["diff", B, "--stat", "--path", "src"]);
  equal(s.code, 0, s.stderr);
  match(s.stdout, /src\/m\.ts \| 2 \+-/);
  match(s.stdout, /1 file changed/);
  const j = JSON.parse((await cli(repo, G, ["diff", A, "--json"])).stdout);
  equal(j.b.worktree, true);
  match(j.b.tree, /^[0-9a-f]{40}$/);
  ok(j.diff.includes("+const lr = 0.5;"));
  // a second call (the index kept in the git dir) sees a new edit
  Deno.writeTextFileSync(join(repo, "new.ts"), "export const x = 1;\n");
  const again = await cli(repo, G, ["diff", B, "--path", "new.ts"]);
  ok(again.stdout.includes("+export const x = 1;"), again.stdout);
  deepStrictEqual(userState(repo).slice(0, 3), before.slice(0, 3));
});

Deno.test("diff RUN: works from a subdirectory, and a non-ignored exprag directory is left out", async () => {
  const repo = makeRepo({ "train.ts": "a\n", "sub/x.ts": "x\n" });
  const dir = makeExprag(repo); // not ignored
  writeDenoRun(dir, {
    id: A,
    daysAgo: 1,
    end: "finished",
    git: gitState(repo, A),
  });
  Deno.writeTextFileSync(join(repo, "sub/x.ts"), "y\n");
  const o = await cli(join(repo, "sub"), [
    "--allow-read=../.exprag",
    "--allow-run=git",
  ], [
    "diff",
    A,
    "--stat",
    "--dir",
    "../.exprag",
  ]);
  equal(o.code, 0, o.stderr);
  match(o.stdout, /sub\/x\.ts/);
  ok(!o.stdout.includes(".exprag"), o.stdout);
  match(o.stdout, /1 file changed/);
});

Deno.test("diff RUN: the same code as the worktree prints nothing and one note", async () => {
  const { repo } = twoRunRepo();
  const o = await cli(repo, G, ["diff", B]); // the worktree is run B's snapshot
  equal(o.code, 0, o.stderr);
  equal(o.stdout, "");
  match(
    oneLine(o.stderr),
    /^exprag: note: run bbbbbbbb.*'s code \(commit [0-9a-f]{40}\) is the same as your current worktree: no code difference$/,
  );
  git(repo, "checkout", "-q", "--", "train.ts");
  const a = await cli(repo, G, ["diff", A, "--path", "train.ts"]);
  equal(a.stdout, "");
  match(oneLine(a.stderr), /no code difference in the given paths$/);
});

Deno.test("diff and compare: two runs of the same commit say so in one note line", async () => {
  const { repo, dir } = sameCodeRuns(false);
  const head = git(repo, "rev-parse", "HEAD");
  const d = await cli(repo, G, ["diff", A, B]);
  equal(d.code, 0, d.stderr);
  equal(d.stdout, "");
  equal(
    oneLine(d.stderr),
    `exprag: note: both runs ran commit ${head}: no code difference`,
  );
  const c = await cli(repo, ["--allow-read=.exprag"], ["compare", A, B]);
  equal(c.code, 0, c.stderr);
  equal(
    oneLine(c.stderr),
    `exprag: note: both runs ran commit ${head}: no code difference`,
  );
  ok(!c.stdout.includes("git diff"), c.stdout);
  const j = JSON.parse(
    (await cli(repo, ["--allow-read=.exprag"], ["compare", A, B, "--json"]))
      .stdout,
  );
  equal(j.same_code, true);
  equal(j.git_diff, null);
  // different commits: no note, the diff commands as before
  Deno.writeTextFileSync(join(repo, "train.ts"), "b\n");
  commitAll(repo, "second");
  const C = "cccccccc-0000-4000-8000-00000000000c";
  writeDenoRun(dir, {
    id: C,
    daysAgo: 0.5,
    end: "finished",
    git: gitState(repo, C),
  });
  const c2 = await cli(repo, ["--allow-read=.exprag"], ["compare", A, C]);
  equal(c2.stderr, "");
  ok(c2.stdout.includes(`exprag diff ${A} ${C}`), c2.stdout);
});

Deno.test("diff: two dirty runs with identical edits (different snapshot commits) say they ran the same code", async () => {
  const { repo } = sameCodeRuns(true);
  const d = await cli(repo, G, ["diff", A, B]);
  equal(d.stdout, "");
  match(
    oneLine(d.stderr),
    /^exprag: note: runs aaaaaaaa\S* and bbbbbbbb\S* ran the same code \(commits [0-9a-f]{40} and [0-9a-f]{40}\): no code difference$/,
  );
});

Deno.test("cat and diff RUN: hostile commit strings in a record never reach git", async () => {
  const { repo, dir } = twoRunRepo();
  const { env, log } = loggingGit();
  for (
    const [i, bad] of ["--output=/tmp/pwned", "HEAD~1", "main", "@{-1}"]
      .entries()
  ) {
    const id = `eeeeeeee-0000-4000-8000-${String(i).padStart(12, "0")}`;
    writeDenoRun(dir, {
      id,
      daysAgo: 0.1,
      end: "finished",
      git: { commit: bad, branch: bad, dirty: false },
    });
    for (const args of [["diff", id], ["cat", id, "train.ts"]]) {
      const o = await cli(repo, G, args, env);
      equal(o.code, 1, `${args.join(" ")} with ${bad}: ${o.stdout}`);
      oneLine(o.stderr);
    }
  }
  const args = Deno.readTextFileSync(log).split("\n");
  for (const a of args) {
    if (a.startsWith("-")) {
      ok(ALLOWED_GIT_OPTIONS.has(a), `unexpected option reached git: ${a}`);
    }
  }
  ok(!args.includes("--output=/tmp/pwned") && !args.includes("@{-1}"));
});

Deno.test("diff RUN: needs only --allow-read of the exprag dir and --allow-run=git (git writes its temporary index)", async () => {
  const { repo } = twoRunRepo();
  Deno.writeTextFileSync(join(repo, "train.ts"), "const lr = 7;\n");
  const o = await cli(repo, G, ["diff", A, "--stat"]);
  equal(o.code, 0, o.stderr);
  match(o.stdout, /train\.ts/);
  for (const flag of G) {
    const fewer = await cli(repo, G.filter((f) => f !== flag), ["diff", A]);
    equal(fewer.code, 1);
    ok(oneLine(fewer.stderr).includes(`add ${flag}`), fewer.stderr);
  }
});

Deno.test("diff RUN: skip-worktree files (sparse checkouts) absent from the worktree are not deletions; edited ones are changes", async () => {
  const repo = makeRepo({
    "train.ts": "a\n",
    "far.ts": "far\n",
    "local.cfg": "x=1\n",
    ".gitignore": ".exprag/\n",
  });
  const dir = makeExprag(repo);
  writeDenoRun(dir, {
    id: A,
    daysAgo: 1,
    end: "finished",
    git: gitState(repo, A),
  });
  git(repo, "update-index", "--skip-worktree", "far.ts", "local.cfg");
  Deno.removeSync(join(repo, "far.ts"));
  Deno.writeTextFileSync(join(repo, "local.cfg"), "x=2\n");
  for (let i = 0; i < 2; i++) { // the second call reuses the kept index
    const o = await cli(repo, G, ["diff", A, "--stat"]);
    equal(o.code, 0, o.stderr);
    match(o.stdout, /local\.cfg \| 2 \+-/);
    ok(!o.stdout.includes("far.ts"), o.stdout);
  }
  equal(git(repo, "ls-files", "-t", "far.ts"), "S far.ts");
});

Deno.test("diff RUN: a diff of more than 400 lines shows the small files in full and names the big ones; --full and --json give all of it", async () => {
  const { repo } = sameCodeRuns(false);
  const big = Array.from({ length: 450 }, (_, i) => `line ${i}`).join("\n");
  Deno.writeTextFileSync(join(repo, "big.txt"), `${big}\n`);
  Deno.writeTextFileSync(join(repo, "train.ts"), "b\n");
  const flags = ["--allow-read=.exprag", "--allow-run=git"];
  const o = await cli(repo, flags, ["diff", B]);
  equal(o.code, 0, o.stderr);
  match(o.stdout, /^diff --git a\/train\.ts b\/train\.ts$/m);
  match(o.stdout, /^\+b$/m);
  ok(!o.stdout.includes("big.txt"), o.stdout);
  equal(
    o.stderr,
    "exprag: note: the diff is 463 lines (more than 400): 1 file shown in full; left out: big.txt (+450 -0); --path PATH shows one file's diff, --full the whole diff\n",
  );
  const full = await cli(repo, flags, ["diff", B, "--full"]);
  equal(full.stderr, "");
  equal(full.stdout.split("\n").length - 1, 463);
  const j = JSON.parse((await cli(repo, flags, ["diff", B, "--json"])).stdout);
  equal(j.diff, full.stdout);
  // no file fits: the --stat, and the note says so
  Deno.writeTextFileSync(join(repo, "train.ts"), "a\n");
  const st = await cli(repo, flags, ["diff", B]);
  equal(st.code, 0, st.stderr);
  match(st.stdout, /^ big\.txt +\| 450 \+/m);
  match(st.stdout, /1 file changed, 450 insertions\(\+\)/);
  match(
    st.stderr,
    /^exprag: note: the diff is 456 lines \(more than 400\): shown as --stat; /,
  );
});
