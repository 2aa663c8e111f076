// Snapshot refs when the branch namespace is blocked (a local branch named
// `run`): the snapshot is stored under the fallback ref refs/exprag/runs/<id>,
// recorded (`branch` null, `ref`), and found by `exprag git`, `checkout` and
// `diff`. Real repositories, real tracker runs, real CLI.
import {
  deepStrictEqual,
  match,
  strictEqual as equal,
} from "node:assert/strict";
import { join } from "node:path";
import { git, makeRepo, tempDir } from "./_helpers.ts";
import { cli, tableObjects } from "./_cli_fixtures.ts";
import { fields, G, trackedRun } from "./_git_fixtures.ts";

Deno.test("a local branch named run: the snapshot is stored under refs/exprag/runs/<id> and recorded with branch null", async () => {
  const repo = makeRepo({ "train.ts": "a\n", ".gitignore": ".exprag/\n" });
  git(repo, "branch", "run");
  Deno.writeTextFileSync(join(repo, "train.ts"), "b\n");
  Deno.writeTextFileSync(join(repo, "new.ts"), "n\n");
  const { id, g, un } = await trackedRun(repo);
  equal(un["git.snapshot"], undefined, JSON.stringify(un));
  equal(g.mode, "snapshot");
  equal(g.branch, null);
  equal(g.ref, `refs/exprag/runs/${id}`);
  equal(git(repo, "rev-parse", `refs/exprag/runs/${id}`), g.commit);
  equal(git(repo, "show", `${g.commit}:train.ts`), "b");
  equal(git(repo, "show", `${g.commit}:new.ts`), "n");
  equal(git(repo, "rev-parse", `${g.commit}^`), g.head);
  // the user's branch `run` is untouched
  equal(git(repo, "rev-parse", "run"), g.head);

  // exprag git shows the recorded branch (none) and the ref in its own column
  const t = await cli(repo, G, ["git"]);
  equal(t.code, 0, t.stderr);
  const row = tableObjects(t.stdout).find((r) => r.id === id)!;
  equal(row.branch, "");
  equal(row.ref, `refs/exprag/runs/${id}`);
  equal(row.commit, g.commit);

  // checkout --worktree restores it; diff against a later run finds it
  const wt = join(tempDir("exprag-wt-"), "r");
  const c = await cli(repo, G, ["checkout", id, "--worktree", wt]);
  equal(c.code, 0, c.stderr);
  const kv = fields(c.stdout);
  equal(kv.ref, `refs/exprag/runs/${id}`);
  equal(kv.branch, "");
  equal(kv.snapshot_ref, `refs/exprag/runs/${id}`);
  equal(Deno.readTextFileSync(join(wt, "train.ts")), "b\n");
  equal(Deno.readTextFileSync(join(wt, "new.ts")), "n\n");
  git(repo, "worktree", "remove", wt);
  const later = await trackedRun(repo); // same worktree: same tree, another run
  equal(later.g.ref, `refs/exprag/runs/${later.id}`);
  const d = await cli(repo, G, ["diff", id, later.id, "--json"]);
  equal(d.code, 0, d.stderr);
  equal(JSON.parse(d.stdout).diff, "");

  // in place (worktree made clean first): detached at the snapshot
  git(repo, "stash", "-u", "-q");
  const p = await cli(repo, G, ["checkout", id]);
  equal(p.code, 0, p.stderr);
  equal(fields(p.stdout).checked_out, `detached ${g.commit}`);
  equal(git(repo, "rev-parse", "HEAD"), g.commit);
});

Deno.test("a packed branch named run blocks the namespace too: the snapshot falls back to refs/exprag/runs/<id>", async () => {
  const repo = makeRepo({ "train.ts": "a\n", ".gitignore": ".exprag/\n" });
  Deno.writeTextFileSync(join(repo, "train.ts"), "b\n");
  git(repo, "branch", "run");
  git(repo, "pack-refs", "--all");
  const { id, g } = await trackedRun(repo);
  equal(g.branch, null);
  equal(g.ref, `refs/exprag/runs/${id}`);
  deepStrictEqual(
    git(repo, "for-each-ref", "--format=%(refname)", "refs/exprag")
      .split("\n"),
    [`refs/exprag/runs/${id}`],
  );
});

Deno.test("the Python exprag's view: branch null and a commit that `git checkout <commit>` restores", async () => {
  const repo = makeRepo({ "train.ts": "a\n", ".gitignore": ".exprag/\n" });
  git(repo, "branch", "run");
  Deno.writeTextFileSync(join(repo, "train.ts"), "py\n");
  const { g } = await trackedRun(repo);
  // what a reader knowing only {branch, commit, dirty} does
  equal(g.branch, null);
  equal(g.dirty, true);
  const clone = join(tempDir("exprag-py-"), "c");
  git(repo, "worktree", "add", "-q", "--detach", clone, g.commit as string);
  equal(Deno.readTextFileSync(join(clone, "train.ts")), "py\n");
  // kept reachable: gc does not collect it
  git(repo, "gc", "-q", "--prune=now");
  equal(git(repo, "cat-file", "-t", g.commit as string), "commit");
  match(
    git(repo, "log", "-1", "--format=%s", g.commit as string),
    /exprag snapshot/,
  );
});

Deno.test("the help of git and checkout and SKILL.md name the fallback ref refs/exprag/runs/<id> and the restored submodules", async () => {
  const cwd = tempDir();
  const texts: Record<string, string> = {};
  for (const args of [["git", "--help"], ["checkout", "--help"], ["skill"]]) {
    const o = await cli(cwd, [], args);
    equal(o.code, 0, o.stderr);
    texts[args[0]] = o.stdout.replace(/\s+/g, " ");
  }
  for (const [name, text] of Object.entries(texts)) {
    match(text, /refs\/exprag\/runs\/<(run_)?id>/, name);
    match(text, /submodules/, name);
  }
  match(texts.checkout, /submodules are restored/);
  match(texts.skill, /branch is null: use the commit/);
});
