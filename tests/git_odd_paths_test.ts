// Projects whose directory path holds a newline, a tab, a double quote or a
// backslash: git's answers about paths are never split on newlines, so the
// capture, diff and checkout (in place and into a worktree) work there.
// Real repositories, real tracker runs, real CLI.
import { match, strictEqual as equal } from "node:assert/strict";
import { join } from "node:path";
import { commitAll, git, tempDir } from "./_helpers.ts";
import { cli } from "./_cli_fixtures.ts";
import { addSubmodule, fields, G, trackedRun } from "./_git_fixtures.ts";

/** A repository (one committed file) at `<tmp>/<name>`. */
function repoAt(name: string): string {
  const dir = join(tempDir("exprag-odd-"), name);
  Deno.mkdirSync(dir, { recursive: true });
  git(dir, "init", "-q", "-b", "main");
  Deno.writeTextFileSync(join(dir, ".gitignore"), ".exprag/\n");
  Deno.writeTextFileSync(join(dir, "train.ts"), "const lr = 0.1;\n");
  commitAll(dir, "initial");
  return dir;
}

for (
  const [what, name] of [
    ["a newline", "a\nb"],
    ["a trailing newline", "proj\n"],
    ["a tab, a double quote and a backslash", 'x\t"y\\z'],
  ]
) {
  Deno.test(`a project path holding ${what}: the snapshot is taken, diff and checkout work`, async () => {
    const repo = repoAt(name);
    const clean = await trackedRun(repo);
    equal(clean.g.toplevel, repo, JSON.stringify(clean.un));
    Deno.writeTextFileSync(join(repo, "train.ts"), "const lr = 0.03;\n");
    Deno.writeTextFileSync(join(repo, "new.txt"), "new\n");
    const r = await trackedRun(repo);
    equal(r.un.git, undefined, JSON.stringify(r.un));
    equal(r.g.mode, "snapshot", JSON.stringify(r.un));
    equal(r.g.toplevel, repo);
    equal(r.g.branch, `run/${r.id}`);
    equal(git(repo, "show", `${r.g.commit}:train.ts`), "const lr = 0.03;");
    equal(git(repo, "show", `${r.g.commit}:new.txt`), "new");

    const d = await cli(repo, G, ["diff", clean.id, r.id]);
    equal(d.code, 0, d.stderr);
    match(d.stdout, /-const lr = 0\.1;\n\+const lr = 0\.03;/);

    const wt = join(tempDir("exprag-odd-wt-"), name);
    const w = await cli(repo, G, ["checkout", r.id, "--worktree", wt]);
    equal(w.code, 0, w.stderr);
    equal(Deno.readTextFileSync(join(wt, "train.ts")), "const lr = 0.03;\n");

    // in place, once the worktree is clean again
    Deno.removeSync(join(repo, "new.txt"));
    git(repo, "checkout", "-q", "--", "train.ts");
    const c = await cli(repo, G, ["checkout", r.id]);
    equal(c.code, 0, c.stderr);
    equal(fields(c.stdout).branch, `run/${r.id}`);
    equal(Deno.readTextFileSync(join(repo, "train.ts")), "const lr = 0.03;\n");
  });
}

Deno.test("a subdirectory holding a newline and a dirty submodule holding a tab, a quote and a backslash: captured exactly", async () => {
  const repo = repoAt("top");
  const lib = repoAt("li\nb");
  addSubmodule(repo, lib, 'sub\t"m\\od');
  const sub = join(repo, 'sub\t"m\\od');
  Deno.writeTextFileSync(join(sub, "train.ts"), "const lr = 0.5;\n");
  Deno.mkdirSync(join(repo, "dir\nx"));
  Deno.writeTextFileSync(join(repo, "dir\nx", "f.txt"), "f\n");
  const r = await trackedRun(repo);
  equal(r.g.mode, "snapshot", JSON.stringify(r.un));
  equal(JSON.stringify(r.g.skipped), "[]");
  equal(git(repo, "show", `${r.g.commit}:dir\nx/f.txt`), "f");
  const link = git(repo, "rev-parse", `${r.g.commit}:sub\t"m\\od`);
  equal(git(sub, "show", `${link}:train.ts`), "const lr = 0.5;");
});
