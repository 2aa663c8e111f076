// Dirty submodules: snapshotted in their own repository (a ref there keeps the
// commit), the superproject's snapshot points its gitlink at it, and checkout
// restores them. Real repositories, real tracker runs, real CLI.
import {
  deepStrictEqual,
  match,
  ok,
  strictEqual as equal,
} from "node:assert/strict";
import { join, relative } from "node:path";
import {
  commitAll,
  git,
  IMPORT_TRACKER,
  makeRepo,
  runScript,
  tempDir,
} from "./_helpers.ts";
import { cli, gitState, makeExprag, writeDenoRun } from "./_cli_fixtures.ts";
import { fields, G, shell, TRACK, trackedRun } from "./_git_fixtures.ts";

/** `git -c protocol.file.allow=always` (local submodule clones). */
function gitSub(cwd: string, ...args: string[]): string {
  return git(cwd, "-c", "protocol.file.allow=always", ...args);
}

/** Every file under `dir` (relative path → content), skipping `.git` entries and `skip`. */
function files(dir: string, skip: string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (abs: string) => {
    for (const e of Deno.readDirSync(abs)) {
      const p = join(abs, e.name);
      const rel = relative(dir, p);
      if (e.name === ".git" || skip.includes(rel)) continue;
      if (e.isDirectory) walk(p);
      else out[rel] = Deno.readTextFileSync(p);
    }
  };
  walk(dir);
  return Object.fromEntries(Object.entries(out).sort());
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** A superproject with submodule `lib` (which has submodule `deep`), all committed. */
function superproject(): { repo: string; lib: string } {
  const deep = makeRepo({ "deep.txt": "deep v1\n" });
  const lib = makeRepo({ "lib.ts": "export const v = 1;\n" });
  gitSub(lib, "submodule", "add", "-q", deep, "deep");
  commitAll(lib, "add deep");
  const repo = makeRepo({ "train.ts": "a\n", ".gitignore": ".exprag/\n" });
  gitSub(repo, "submodule", "add", "-q", lib, "lib");
  commitAll(repo, "add lib");
  gitSub(repo, "submodule", "update", "--init", "--recursive", "-q");
  return { repo, lib };
}

Deno.test("a dirty submodule (edit, new file, nested submodule edit) is snapshotted in its own repository and the gitlink points at it", async () => {
  const { repo } = superproject();
  const lib = join(repo, "lib");
  const libHead = git(lib, "rev-parse", "HEAD");
  Deno.writeTextFileSync(join(lib, "lib.ts"), "export const v = 2;\n");
  Deno.writeTextFileSync(join(lib, "new.ts"), "new\n");
  Deno.writeTextFileSync(join(lib, "deep", "deep.txt"), "deep v2\n");
  const at = files(repo, [".exprag"]);
  const { id, g, un } = await trackedRun(repo);
  equal(g.dirty, true);
  equal(g.mode, "snapshot");
  equal(g.branch, `run/${id}`);
  deepStrictEqual(g.skipped, []);
  equal(un["git.snapshot"], undefined);
  const subs = g.submodules as { path: string; commit: string; ref: string }[];
  deepStrictEqual(subs.map((s) => s.path), ["lib", "lib/deep"]);
  const [libSnap, deepSnap] = subs;
  equal(libSnap.ref, `refs/heads/run/${id}`);
  // the superproject's snapshot points at lib's snapshot, lib's at deep's
  match(
    git(repo, "ls-tree", g.commit as string, "lib"),
    new RegExp(`160000 commit ${libSnap.commit}\tlib`),
  );
  match(
    git(lib, "ls-tree", libSnap.commit, "deep"),
    new RegExp(`160000 commit ${deepSnap.commit}\tdeep`),
  );
  // kept reachable in each submodule's own repository; parent = its HEAD
  equal(git(lib, "rev-parse", `run/${id}`), libSnap.commit);
  equal(git(join(lib, "deep"), "rev-parse", `run/${id}`), deepSnap.commit);
  equal(git(lib, "rev-parse", `${libSnap.commit}^`), libHead);
  equal(git(lib, "show", `${libSnap.commit}:new.ts`), "new");
  // nothing of the user's moved
  equal(git(lib, "rev-parse", "HEAD"), libHead);
  match(git(lib, "status", "--porcelain"), /^ M lib\.ts$/m);
  deepStrictEqual(files(repo, [".exprag"]), at);

  // checkout --worktree restores the superproject and both submodules exactly
  const wt = join(tempDir("exprag-wt-"), "run");
  const c = await cli(repo, G, ["checkout", id, "--worktree", wt]);
  equal(c.code, 0, c.stderr);
  const kv = fields(c.stdout);
  match(kv.submodules, /^lib [0-9a-f]{40}, lib\/deep [0-9a-f]{40}$/);
  deepStrictEqual(files(wt), at);
  // the suggested removal works and leaves the user's checkout alone
  await shell(repo, kv.remove_with);
  ok(!exists(wt), "the worktree is gone");
  deepStrictEqual(files(repo, [".exprag"]), at);
});

Deno.test("checkout in place restores a run's submodule snapshot, refuses a dirty submodule, and return_with goes back", async () => {
  const { repo } = superproject();
  const lib = join(repo, "lib");
  const libHead = git(lib, "rev-parse", "HEAD");
  Deno.writeTextFileSync(join(lib, "lib.ts"), "export const v = 3;\n");
  const at = files(repo, [".exprag"]);
  const { id } = await trackedRun(repo);
  // still dirty inside the submodule: refused, nothing changes
  let c = await cli(repo, G, ["checkout", id]);
  equal(c.code, 1, c.stdout);
  match(c.stderr, /uncommitted changes/);
  git(lib, "checkout", "-q", "--", "lib.ts");
  equal(git(repo, "status", "--porcelain"), "");
  c = await cli(repo, G, ["checkout", id]);
  equal(c.code, 0, c.stderr);
  deepStrictEqual(files(repo, [".exprag"]), at);
  equal(git(repo, "status", "--porcelain", "--ignore-submodules=none"), "");
  await shell(repo, fields(c.stdout).return_with);
  equal(git(lib, "rev-parse", "HEAD"), libHead);
  equal(git(repo, "symbolic-ref", "--short", "HEAD"), "main");
  equal(git(repo, "status", "--porcelain"), "");
});

Deno.test("checkout in place refuses an ignored file inside a submodule that the run's submodule snapshot would overwrite", async () => {
  const { repo } = superproject();
  const lib = join(repo, "lib");
  Deno.writeTextFileSync(join(lib, "local.env"), "at run time\n");
  const { id } = await trackedRun(repo);
  // the user ignores the file in the submodule afterwards and changes it
  const gitDir = git(lib, "rev-parse", "--absolute-git-dir");
  Deno.writeTextFileSync(join(gitDir, "info", "exclude"), "local.env\n");
  Deno.writeTextFileSync(join(lib, "local.env"), "precious\n");
  equal(git(repo, "status", "--porcelain", "--ignore-submodules=none"), "");
  const c = await cli(repo, G, ["checkout", id]);
  equal(c.code, 1, c.stdout);
  match(
    c.stderr,
    /would overwrite 1 ignored file .*submodule lib.*\(local\.env\)/,
  );
  equal(Deno.readTextFileSync(join(lib, "local.env")), "precious\n");
  equal(git(repo, "symbolic-ref", "--short", "HEAD"), "main");
});

Deno.test("a dirty submodule that cannot be snapshotted is listed in git.skipped with the reason", async () => {
  const { repo } = superproject();
  const lib = join(repo, "lib");
  Deno.writeTextFileSync(join(lib, "lib.ts"), "export const v = 4;\n");
  Deno.writeTextFileSync(join(repo, "train.ts"), "b\n");
  // the submodule's repository refuses new refs (a locked ref namespace: both
  // refs/heads/run and refs/exprag are files where directories must go)
  const gitDir = git(lib, "rev-parse", "--absolute-git-dir");
  git(lib, "branch", "run");
  Deno.writeTextFileSync(join(gitDir, "refs", "exprag"), "not a directory\n");
  const { id, g, un } = await trackedRun(repo);
  equal(g.mode, "snapshot");
  equal(g.branch, `run/${id}`);
  equal(g.submodules, undefined);
  const skipped = g.skipped as { path: string; reason: string }[];
  equal(skipped.length, 1, JSON.stringify(skipped));
  equal(skipped[0].path, "lib/");
  match(skipped[0].reason, /^dirty submodule not snapshotted: .*update-ref/);
  match(un["git.submodules"], /see git\.skipped/);
  // checkout says that lib's edits are not in what it restores
  const wt = join(tempDir("exprag-wt-"), "skipped");
  const c = await cli(repo, G, ["checkout", id, "--worktree", wt]);
  equal(c.code, 0, c.stderr);
  match(
    c.stderr,
    /^exprag: note: run .*: the edits in submodule lib\/ \(dirty submodule not snapshotted: .*\) were not captured: it is restored without them\n$/,
  );
  // the superproject's own edit is in its snapshot; lib's gitlink is its HEAD
  equal(git(repo, "show", `${g.commit}:train.ts`), "b");
  match(
    git(repo, "ls-tree", g.commit as string, "lib"),
    new RegExp(git(lib, "rev-parse", "HEAD")),
  );
});

Deno.test("a run whose file cannot be created after the capture leaves no snapshot ref behind, in the superproject or its submodules", async () => {
  const { repo } = superproject();
  const lib = join(repo, "lib");
  Deno.writeTextFileSync(join(lib, "lib.ts"), "export const v = 5;\n");
  Deno.writeTextFileSync(join(repo, "train.ts"), "c\n");
  // the runs directory exists but no file can be created in it (even as root)
  Deno.mkdirSync(join(repo, ".exprag"));
  Deno.symlinkSync("/proc", join(repo, ".exprag", "runs"));
  const o = await runScript(
    repo,
    IMPORT_TRACKER + `
try { new Experiment("x"); console.log("created"); }
catch (e) { console.log("failed: " + e.message); }`,
    TRACK,
  );
  equal(o.code, 0, o.stderr);
  match(o.stdout, /^failed: /);
  const refs = (dir: string) =>
    git(
      dir,
      "for-each-ref",
      "--format=%(refname)",
      "refs/heads/run",
      "refs/exprag",
    );
  equal(refs(repo), "");
  equal(refs(lib), "");
  equal(refs(join(lib, "deep")), "");
});

Deno.test("recorded submodule paths that leave the repository or look like options are refused before git runs", async () => {
  const repo = makeRepo({ "train.ts": "a\n", ".gitignore": ".exprag/\n" });
  const dir = makeExprag(repo);
  const head = git(repo, "rev-parse", "HEAD");
  for (const path of ["../outside", "-C", "/etc", "a/../../b", "lib\n"]) {
    const id = crypto.randomUUID();
    writeDenoRun(dir, {
      id,
      end: "finished",
      git: { ...gitState(repo, id), submodules: [{ path, commit: head }] },
    });
    const wt = join(tempDir("exprag-wt-"), "x");
    const c = await cli(repo, G, ["checkout", id, "--worktree", wt]);
    equal(c.code, 1, `${JSON.stringify(path)}: ${c.stdout}`);
    match(c.stderr, /recorded invalid git\.submodules; refusing/);
    ok(!exists(wt), "nothing created");
  }
});

Deno.test("checkout restores the submodules of a clean run at their gitlinks: new worktree, and in place after the submodule moved on", async () => {
  const { repo } = superproject();
  const lib = join(repo, "lib");
  const old = git(lib, "rev-parse", "HEAD");
  const at = files(repo, [".exprag"]);
  const { id, g } = await trackedRun(repo);
  equal(g.dirty, false);
  equal(g.submodules, undefined);
  const wt = join(tempDir("exprag-wt-"), "clean");
  const c = await cli(repo, G, ["checkout", id, "--worktree", wt]);
  equal(c.code, 0, c.stderr);
  deepStrictEqual(files(wt), at); // lib and lib/deep included
  await shell(repo, fields(c.stdout).remove_with);
  // the user moves lib on and commits the new gitlink
  Deno.writeTextFileSync(join(lib, "lib.ts"), "export const v = 9;\n");
  commitAll(lib, "v9");
  commitAll(repo, "lib v9");
  const p = await cli(repo, G, ["checkout", id]);
  equal(p.code, 0, p.stderr);
  equal(git(lib, "rev-parse", "HEAD"), old);
  deepStrictEqual(files(repo, [".exprag"]), at);
  match(fields(p.stdout).submodules, /^lib [0-9a-f]{40}$/); // deep did not move
  await shell(repo, fields(p.stdout).return_with);
  equal(Deno.readTextFileSync(join(lib, "lib.ts")), "export const v = 9;\n");
  equal(git(repo, "status", "--porcelain", "--ignore-submodules=none"), "");
});
