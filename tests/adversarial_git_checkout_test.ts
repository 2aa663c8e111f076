// Adversarial pass over `exprag checkout` (issue 9): real runs in real
// repositories, then checkout under the documented flags where a user's file
// is in the way. It must never overwrite or delete a user file, refuse
// clearly (exit 1, one line) where it must, and tell the truth about what it
// did. Tests whose comment says "Was a bug" are bugs the pass found, fixed
// since (each names the bug and its repro).
import assert from "node:assert/strict";
import { join } from "node:path";
import { exprag, repoWith, sh, train } from "./_adversarial.ts";
import { tempDir } from "./_helpers.ts";
import { addSubmodule } from "./_git_fixtures.ts";

/** A repository with a dirty run recorded; its worktree cleaned afterwards. */
async function dirtyRun(
  files: Record<string, string>,
  edit: string,
  restore = "git checkout -q -- . && git clean -qfd -e .exprag",
): Promise<{ repo: string; id: string }> {
  const repo = repoWith(files, edit);
  const t = await train(repo);
  assert.equal(t.code, 0, t.stderr);
  assert.equal(t.git?.mode, "snapshot");
  sh(repo, restore);
  return { repo, id: t.id };
}

const head = (repo: string) =>
  sh(repo, "git rev-parse HEAD; git symbolic-ref -q HEAD || true");

Deno.test("checkout --worktree into an existing directory or file: refused, nothing of the user's touched", async () => {
  const { repo, id } = await dirtyRun({ "a.txt": "a\n" }, "echo e >> a.txt");
  const d = tempDir("exprag-adv-target-");
  Deno.writeTextFileSync(join(d, "mine"), "x");
  for (const target of [d, join(d, "mine")]) {
    const c = await exprag(repo, ["checkout", id, "--worktree", target]);
    assert.equal(c.code, 1, c.stderr);
    assert.match(c.stderr, /^exprag: .*already exists\n$/);
  }
  assert.deepEqual([...Deno.readDirSync(d)].map((e) => e.name), ["mine"]);
  assert.equal(Deno.readTextFileSync(join(d, "mine")), "x");
});

Deno.test("checkout in place over assume-unchanged / skip-worktree edits: refused, the edit kept", async () => {
  for (const flag of ["--assume-unchanged", "--skip-worktree"]) {
    const { repo, id } = await dirtyRun(
      { "a.txt": "a\n", "hp.yml": "lr: 1\n" },
      "echo 'lr: 2' > hp.yml",
    );
    sh(repo, `git update-index ${flag} hp.yml && echo 'lr: MINE' > hp.yml`);
    const before = head(repo);
    const c = await exprag(repo, ["checkout", id]);
    assert.equal(c.code, 1, `${flag}: ${c.stdout}`);
    assert.match(c.stderr, /^exprag: .*overwritten/, flag);
    assert.equal(Deno.readTextFileSync(join(repo, "hp.yml")), "lr: MINE\n");
    assert.equal(head(repo), before, flag);
  }
});

Deno.test("checkout in place: the run's branch checked out in another worktree, a deleted snapshot, a moved branch", async () => {
  const a = await dirtyRun({ "a.txt": "a\n" }, "echo e >> a.txt");
  const other = join(tempDir("exprag-adv-other-"), "w");
  sh(a.repo, `git worktree add -q '${other}' run/${a.id}`);
  const before = head(a.repo);
  const c1 = await exprag(a.repo, ["checkout", a.id]);
  assert.equal(c1.code, 1);
  assert.match(c1.stderr, /already checked out/);
  assert.equal(head(a.repo), before);

  const b = await dirtyRun({ "a.txt": "a\n" }, "echo e >> a.txt");
  sh(
    b.repo,
    `git branch -D -q run/${b.id} && git reflog expire --expire=now --all && git gc -q --prune=now`,
  );
  for (const args of [["checkout", b.id], ["diff", b.id, b.id]]) {
    const c = await exprag(b.repo, args);
    assert.equal(c.code, 1, args[0]);
    assert.match(
      c.stderr,
      /^exprag: commit [0-9a-f]{40} of run .* is not in this repository/,
    );
  }

  // the user committed on top of run/<id>: the recorded commit, detached
  const m = await dirtyRun({ "a.txt": "a\n" }, "echo e >> a.txt");
  sh(
    m.repo,
    `git checkout -q run/${m.id} && echo more >> a.txt && git commit -qam more && git checkout -q main`,
  );
  const c3 = await exprag(m.repo, ["checkout", m.id, "--json"]);
  assert.equal(c3.code, 0, c3.stderr);
  assert.match(JSON.parse(c3.stdout).checked_out, /^detached [0-9a-f]{40}$/);
  assert.equal(Deno.readTextFileSync(join(m.repo, "a.txt")), "a\ne\n");
});

// Was a bug (fixed in src/cli/checkout_guard.ts): ignoredCollisions looked only at
// paths the run's commit *adds* and at ignored files lying exactly there (or
// at a collapsed ignored directory). When the run replaced a tracked
// directory by a file (or a symlink), git deletes the ignored files left in
// that directory to make room — e.g. trained weights `out/model.pt` — and
// exprag exits 0. Repro: repo with out/keep.txt tracked, `*.pt` ignored;
// `rm -r out && echo f > out`; train; `rm out && git checkout out &&
// echo W > out/model.pt`; `exprag checkout <run>` → out/model.pt is gone.
Deno.test({
  name:
    "checkout in place never deletes ignored files inside a directory the run replaced by a file",
  fn: async () => {
    for (const replace of ["echo f > out", "ln -s a.txt out"]) {
      const { repo, id } = await dirtyRun(
        { "a.txt": "a\n", "out/keep.txt": "k\n", ".gitignore": "*.pt\n" },
        `rm -r out && ${replace}`,
        "rm out && git checkout -q -- out",
      );
      Deno.writeTextFileSync(join(repo, "out", "model.pt"), "WEIGHTS");
      const before = head(repo);
      const c = await exprag(repo, ["checkout", id]);
      assert.equal(
        Deno.readTextFileSync(join(repo, "out", "model.pt")),
        "WEIGHTS",
        replace,
      );
      assert.equal(c.code, 1, replace);
      assert.match(c.stderr, /ignored file.*out\/model\.pt/, replace);
      assert.equal(head(repo), before, replace);
    }
  },
});

// Was a bug (fixed: exprag's git calls run no hooks, src/cli/gitsafe.ts;
// a failure after HEAD moved says so, src/cli/checkout.ts): checkout ran the user's
// post-checkout hook (the capture never runs hooks). A failing hook makes
// git exit non-zero after the checkout is complete: in place, exprag says
// "git checkout failed" (exit 1) although HEAD is now run/<id> and gives no
// return_with; with --worktree it says "failed: Preparing worktree ..." and
// leaves the new worktree behind. Repro: `git config core.hooksPath h` with
// h/post-checkout = `exit 1`; `exprag checkout <run>`; `git branch
// --show-current` → run/<id>.
Deno.test({
  name:
    "a failing post-checkout hook: checkout tells the truth about the state it left",
  fn: async () => {
    const { repo, id } = await dirtyRun({ "a.txt": "a\n" }, "echo e >> a.txt");
    const hooks = tempDir("exprag-adv-hooks-");
    Deno.writeTextFileSync(join(hooks, "post-checkout"), "#!/bin/sh\nexit 1\n");
    Deno.chmodSync(join(hooks, "post-checkout"), 0o755);
    sh(repo, `git config core.hooksPath '${hooks}'`);
    const wt = join(tempDir("exprag-adv-wt-"), "code");
    const w = await exprag(repo, ["checkout", id, "--worktree", wt]);
    let exists = true;
    try {
      Deno.statSync(wt);
    } catch {
      exists = false;
    }
    // either it succeeded (hooks skipped) or it failed and left nothing
    assert.equal(w.code === 0, exists, w.stderr);
    const before = head(repo);
    const c = await exprag(repo, ["checkout", id]);
    const moved = head(repo) !== before;
    assert.equal(c.code === 0, moved, c.stderr);
  },
});

Deno.test("a checkout that fails after HEAD moved (a submodule's index locked) says where HEAD is and how to go back", async () => {
  const lib = repoWith({ "lib.ts": "export const v = 1;\n" });
  const repo = repoWith({ "a.txt": "a\n" });
  addSubmodule(repo, lib, "lib");
  sh(repo, "echo e >> a.txt && echo 'export const v = 2;' > lib/lib.ts");
  const t = await train(repo);
  assert.equal(t.code, 0, t.stderr);
  assert.equal(t.git?.mode, "snapshot");
  sh(repo, "git checkout -q -- . && git -C lib checkout -q -- .");
  const libGit = sh(join(repo, "lib"), "git rev-parse --absolute-git-dir")
    .trim();
  Deno.writeTextFileSync(join(libGit, "index.lock"), "");
  const c = await exprag(repo, ["checkout", t.id]);
  Deno.removeSync(join(libGit, "index.lock"));
  assert.equal(c.code, 1, c.stdout);
  assert.match(
    c.stderr,
    /^exprag: git checkout in submodule lib failed: .*; HEAD is already at the run's commit [0-9a-f]{40}, without the submodules; go back with: git checkout main\n$/,
  );
  assert.equal(sh(repo, "git rev-parse HEAD").trim(), t.git?.commit);
  sh(repo, "git checkout -q main");
  assert.equal(sh(repo, "git status --porcelain -- . ':!.exprag'"), "");
});

/** A repository with a submodule `lib` and a dirty run in both, cleaned afterwards. */
async function submoduleRun(
  libFiles: Record<string, string>,
  edit: string,
  restore: string,
): Promise<{ repo: string; id: string }> {
  const lib = repoWith(libFiles);
  const repo = repoWith({ "a.txt": "a\n" });
  addSubmodule(repo, lib, "lib");
  sh(repo, `echo e >> a.txt && (cd lib && ${edit})`);
  const t = await train(repo);
  assert.equal(t.code, 0, t.stderr);
  assert.equal(t.git?.mode, "snapshot");
  assert.equal(
    (t.git?.submodules as unknown[] | undefined)?.length,
    1,
    JSON.stringify(t.unavailable),
  );
  sh(repo, `git checkout -q -- . && (cd lib && ${restore})`);
  return { repo, id: t.id };
}

Deno.test("checkout in place never deletes ignored files inside a submodule directory the run replaced by a file", async () => {
  const { repo, id } = await submoduleRun(
    { "lib.ts": "x\n", "out/keep.txt": "k\n", ".gitignore": "*.pt\n" },
    "rm -r out && echo f > out",
    "rm out && git checkout -q -- out",
  );
  Deno.writeTextFileSync(join(repo, "lib", "out", "model.pt"), "WEIGHTS");
  const before = head(repo);
  const c = await exprag(repo, ["checkout", id]);
  assert.equal(c.code, 1, c.stdout);
  assert.match(c.stderr, /ignored file.*submodule lib.*out\/model\.pt/);
  assert.equal(
    Deno.readTextFileSync(join(repo, "lib", "out", "model.pt")),
    "WEIGHTS",
  );
  assert.equal(head(repo), before);
});

Deno.test("checkout --worktree whose submodule worktree fails says the new worktree was left and how to remove it", async () => {
  const { repo, id } = await submoduleRun(
    { "lib.ts": "x\n" },
    "echo y >> lib.ts",
    "git checkout -q -- .",
  );
  // the submodule's repository cannot hold linked worktrees
  const libGit = sh(join(repo, "lib"), "git rev-parse --absolute-git-dir")
    .trim();
  Deno.writeTextFileSync(join(libGit, "worktrees"), "not a directory\n");
  const wt = join(tempDir("exprag-adv-wt-"), "code");
  const c = await exprag(repo, ["checkout", id, "--worktree", wt]);
  assert.equal(c.code, 1, c.stdout);
  assert.match(
    c.stderr,
    /^exprag: git worktree add .* \(submodule lib\) failed: .*; the worktree .* was created without its submodules; remove it with: git worktree remove --force '?[^ ]*code'?\n$/,
  );
  const remove = c.stderr.split("remove it with: ")[1].trim();
  sh(repo, remove);
  assert.throws(() => Deno.statSync(wt), Deno.errors.NotFound);
});
