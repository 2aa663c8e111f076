// checkout never overwrites or deletes a file it did not create, never passes
// off a base commit as a dirty run's code, shows git's fatal line, and its
// suggested commands survive a shell: real repositories, real runs.
import {
  deepStrictEqual,
  match,
  ok,
  strictEqual as equal,
} from "node:assert/strict";
import { join } from "node:path";
import {
  commitAll,
  git,
  IMPORT_TRACKER,
  makeRepo,
  run,
  runScript,
  tempDir,
} from "./_helpers.ts";
import {
  cli,
  gitState,
  makeExprag,
  oneLine,
  RUN_A as A,
  RUN_B as B,
  tableObjects,
  writeDenoRun,
} from "./_cli_fixtures.ts";

const G = ["--allow-read=.exprag", "--allow-run=git"];

function fields(stdout: string): Record<string, string> {
  return Object.fromEntries(
    tableObjects(stdout).map((r) => [r.field, r.value]),
  );
}

/**
 * Run B snapshotted `.env` (untracked, not yet ignored) and `cache/w.bin`;
 * afterwards the user ignored both and changed them: the worktree is clean.
 */
function ignoredLater(): { repo: string; snap: string } {
  const repo = makeRepo({ "train.ts": "a\n", ".gitignore": ".exprag/\n" });
  const dir = makeExprag(repo);
  Deno.writeTextFileSync(join(repo, ".env"), "TOKEN=at-run-time\n");
  Deno.mkdirSync(join(repo, "cache"));
  Deno.writeTextFileSync(join(repo, "cache/w.bin"), "old\n");
  const state = gitState(repo, B);
  writeDenoRun(dir, { id: B, end: "finished", git: state });
  Deno.writeTextFileSync(join(repo, ".gitignore"), ".exprag/\n.env\ncache/\n");
  commitAll(repo, "ignore .env and cache/");
  Deno.writeTextFileSync(join(repo, ".env"), "TOKEN=precious\n");
  Deno.writeTextFileSync(join(repo, "cache/w.bin"), "new\n");
  equal(git(repo, "status", "--porcelain"), "");
  return { repo, snap: state.commit as string };
}

Deno.test("checkout in place refuses to overwrite ignored files the run's code has, listing them; nothing changes", async () => {
  const { repo } = ignoredLater();
  const head = git(repo, "rev-parse", "HEAD");
  const o = await cli(repo, G, ["checkout", B]);
  equal(o.code, 1, o.stdout);
  const line = oneLine(o.stderr);
  match(line, /would overwrite 2 ignored files .*\(\.env, cache\/w\.bin\)/);
  match(line, /--worktree DIR/);
  equal(o.stdout, "");
  equal(git(repo, "rev-parse", "HEAD"), head);
  equal(git(repo, "symbolic-ref", "--short", "HEAD"), "main");
  equal(Deno.readTextFileSync(join(repo, ".env")), "TOKEN=precious\n");
  equal(Deno.readTextFileSync(join(repo, "cache/w.bin")), "new\n");
  // --json: the same refusal; --worktree restores the run without touching them
  const wt = join(tempDir("exprag-wt-"), "b");
  const w = await cli(repo, G, ["checkout", B, "--worktree", wt]);
  equal(w.code, 0, w.stderr);
  equal(Deno.readTextFileSync(join(wt, ".env")), "TOKEN=at-run-time\n");
  equal(Deno.readTextFileSync(join(repo, ".env")), "TOKEN=precious\n");
});

Deno.test("checkout in place proceeds when ignored files lie beside, not on, the run's files, and going back keeps them", async () => {
  const { repo } = ignoredLater();
  Deno.removeSync(join(repo, ".env"));
  Deno.removeSync(join(repo, "cache/w.bin"));
  Deno.writeTextFileSync(join(repo, "cache/other.bin"), "mine\n");
  const o = await cli(repo, G, ["checkout", B]);
  equal(o.code, 0, o.stderr);
  const kv = fields(o.stdout);
  equal(kv.return_with, "git checkout main");
  equal(Deno.readTextFileSync(join(repo, ".env")), "TOKEN=at-run-time\n");
  git(repo, "checkout", "-q", "main"); // the suggested way back
  equal(Deno.readTextFileSync(join(repo, "cache/other.bin")), "mine\n");
});

Deno.test("checkout in place refuses an ignored file where the run's code has a directory", async () => {
  const repo = makeRepo({ "train.ts": "a\n", ".gitignore": ".exprag/\n" });
  const dir = makeExprag(repo);
  Deno.mkdirSync(join(repo, "conf"));
  Deno.writeTextFileSync(join(repo, "conf/x.json"), "{}\n");
  writeDenoRun(dir, { id: B, end: "finished", git: gitState(repo, B) });
  Deno.removeSync(join(repo, "conf"), { recursive: true });
  Deno.writeTextFileSync(join(repo, ".gitignore"), ".exprag/\nconf\n");
  commitAll(repo, "ignore conf");
  Deno.writeTextFileSync(join(repo, "conf"), "my local conf\n");
  const o = await cli(repo, G, ["checkout", B]);
  equal(o.code, 1, o.stdout);
  match(oneLine(o.stderr), /would overwrite 1 ignored file .*\(conf\)/);
  equal(Deno.readTextFileSync(join(repo, "conf")), "my local conf\n");
});

Deno.test("checkout of a dirty run whose edits were not captured (git mode state) refuses unless --base-only", async () => {
  const repo = makeRepo({ "train.ts": "const lr = 0.1;\n" });
  Deno.writeTextFileSync(join(repo, ".gitignore"), ".exprag/\n");
  commitAll(repo, "ignore");
  const head = git(repo, "rev-parse", "HEAD");
  Deno.writeTextFileSync(join(repo, "train.ts"), "const lr = 0.5;\n");
  // a real run that took no snapshot of its dirty worktree
  const t = await runScript(
    repo,
    IMPORT_TRACKER +
      `using exp = new Experiment("t", { git: "state" });\nexp.track({ step: 0 });\n`,
    ["--allow-write=.exprag", "--allow-read=.", "--allow-run=git"],
  );
  equal(t.code, 0, t.stderr);
  const runs = JSON.parse((await cli(repo, G, ["git", "--json"])).stdout);
  equal(runs.length, 1);
  equal(runs[0].git.mode, "state");
  equal(runs[0].git.dirty, true);
  git(repo, "checkout", "-q", "--", "train.ts"); // clean, so only the run's state matters
  for (
    const args of [
      ["checkout", "latest"],
      ["checkout", "latest", "--worktree", join(tempDir(), "wt")],
    ]
  ) {
    const o = await cli(repo, G, args);
    equal(o.code, 1, `${args.join(" ")}: ${o.stdout}`);
    const line = oneLine(o.stderr);
    match(line, /uncommitted edits were not captured/);
    match(line, /--base-only/);
    equal(o.stdout, "");
    equal(git(repo, "symbolic-ref", "--short", "HEAD"), "main");
  }
  const b = await cli(repo, G, ["checkout", "latest", "--base-only"]);
  equal(b.code, 0, b.stderr);
  const kv = fields(b.stdout);
  equal(kv.captured, "false");
  match(kv.note, /not captured/);
  equal(git(repo, "rev-parse", "HEAD"), head);
  git(repo, "checkout", "-q", "main");
  const d = await cli(repo, G, ["diff", "latest", "latest"]);
  equal(d.code, 0, d.stderr);
  match(oneLine(d.stderr), /^exprag: note: run .* not captured/);
});

Deno.test("checkout --worktree failure shows git's fatal line, not its progress line", async () => {
  const repo = makeRepo({ "train.ts": "a\n" });
  const dir = makeExprag(repo);
  writeDenoRun(dir, { id: A, end: "finished", git: gitState(repo, A) });
  const taken = tempDir("exprag-wt-taken-");
  Deno.writeTextFileSync(join(taken, "mine.txt"), "x\n");
  const o = await cli(repo, G, ["checkout", A, "--worktree", taken]);
  equal(o.code, 1, o.stdout);
  const line = oneLine(o.stderr);
  ok(!line.includes("Preparing"), line);
  match(line, /git worktree add .* failed: .*already exists/);
  equal(Deno.readTextFileSync(join(taken, "mine.txt")), "x\n");
});

Deno.test("checkout --worktree into a worktree an earlier checkout made: git's refusal alone, never a hint to force-remove it (it holds the user's edits)", async () => {
  const repo = makeRepo({ "train.ts": "a\n" });
  const dir = makeExprag(repo);
  writeDenoRun(dir, { id: A, end: "finished", git: gitState(repo, A) });
  const wt = join(tempDir("exprag-wt-"), "run");
  equal((await cli(repo, G, ["checkout", A, "--worktree", wt])).code, 0);
  Deno.writeTextFileSync(join(wt, "train.ts"), "edited in the worktree\n");
  const o = await cli(repo, G, ["checkout", A, "--worktree", wt]);
  equal(o.code, 1, o.stdout);
  const line = oneLine(o.stderr);
  match(line, /git worktree add .* failed: .*already exists$/);
  ok(!line.includes("remove"), line);
  equal(
    Deno.readTextFileSync(join(wt, "train.ts")),
    "edited in the worktree\n",
  );
});

Deno.test("checkout's remove_with and return_with survive a shell: spaces, quotes, $", async () => {
  const repo = makeRepo({ "train.ts": "a\n", ".gitignore": ".exprag/\n" });
  const dir = makeExprag(repo);
  writeDenoRun(dir, { id: A, end: "finished", git: gitState(repo, A) });
  const wt = join(tempDir("exprag-wt-"), `it's a $HOME "run"`);
  const o = await cli(repo, G, ["checkout", A, "--worktree", wt]);
  equal(o.code, 0, o.stderr);
  const j = JSON.parse(
    (await cli(repo, G, [
      "checkout",
      A,
      "--worktree",
      wt + "2",
      "--json",
    ])).stdout,
  );
  for (
    const [path, hint] of [[wt, fields(o.stdout).remove_with], [
      wt + "2",
      j.remove_with,
    ]]
  ) {
    const sh = await run("sh", ["-c", hint], { cwd: repo });
    equal(sh.code, 0, `${hint}: ${sh.stderr}`);
    let gone = false;
    try {
      Deno.statSync(path);
    } catch {
      gone = true;
    }
    ok(gone, `${hint} removed ${path}`);
  }
  git(repo, "checkout", "-q", "-b", "exp$x'y");
  const c = await cli(repo, G, ["checkout", A]);
  equal(c.code, 0, c.stderr);
  const back = fields(c.stdout).return_with;
  equal(back, `git checkout 'exp$x'"'"'y'`);
  const sh = await run("sh", ["-c", back], { cwd: repo });
  equal(sh.code, 0, sh.stderr);
  deepStrictEqual(git(repo, "symbolic-ref", "--short", "HEAD"), "exp$x'y");
});
