// checkout, diff and git on real repositories with real snapshot commits,
// and hostile branch/commit strings that must never reach git as options.
import {
  deepStrictEqual,
  match,
  notStrictEqual as notEqual,
  ok,
  strictEqual as equal,
} from "node:assert/strict";
import { join } from "node:path";
import { commitAll, git, makeRepo, tempDir } from "./_helpers.ts";
import {
  ALLOWED_GIT_OPTIONS,
  cli,
  makeExprag,
  oneLine,
  RUN_A as A,
  RUN_B as B,
  tableObjects,
  twoRunRepo,
  writeDenoRun,
  writePythonRun,
  writeRepoRun,
} from "./_cli_fixtures.ts";
import { loggingGit } from "./_faults.ts";

const G = ["--allow-read=.exprag", "--allow-run=git"];

/** A repo with run A (clean, at the initial commit) and run B (dirty: snapshot on run/B). */
function twoRuns(): { repo: string; dir: string; head: string; snap: string } {
  return twoRunRepo({
    files: { "src/m.ts": "m\n" },
    change: (repo) => {
      Deno.writeTextFileSync(join(repo, "new.ts"), "export {};\n");
      Deno.removeSync(join(repo, "src/m.ts"));
    },
  });
}

function userState(repo: string): string[] {
  return [
    git(repo, "rev-parse", "HEAD"),
    git(repo, "symbolic-ref", "-q", "HEAD"),
    git(repo, "status", "--porcelain"),
    Deno.readTextFileSync(join(repo, "train.ts")),
    git(repo, "stash", "list"),
  ];
}

Deno.test("diff: code difference between two runs (snapshot vs clean), --stat, --json", async () => {
  const { repo, head, snap } = twoRuns();
  const o = await cli(repo, G, ["diff", "latest~1", "latest"]);
  equal(o.code, 0, o.stderr);
  ok(o.stdout.includes("-const lr = 0.1;\n+const lr = 0.03;"), o.stdout);
  ok(o.stdout.includes("diff --git a/new.ts b/new.ts"));
  ok(o.stdout.includes("deleted file mode"));
  const s = await cli(repo, G, ["diff", A, B, "--stat"]);
  equal(s.code, 0, s.stderr);
  match(s.stdout, /new\.ts\s+\|\s+1 \+/);
  match(s.stdout, /3 files changed/);
  const j = JSON.parse((await cli(repo, G, ["diff", A, B, "--json"])).stdout);
  deepStrictEqual([j.a.id, j.a.commit, j.b.id, j.b.commit], [A, head, B, snap]);
  ok(j.diff.includes("+const lr = 0.03;"));
});

Deno.test("diff: leaves out the exprag directory, works from a subdirectory with --dir", async () => {
  // .exprag is NOT ignored here and gets committed between the runs
  const repo = makeRepo({ "train.ts": "a\n", "sub/x.ts": "x\n" });
  const dir = makeExprag(repo);
  writeRepoRun(repo, { dir, id: A, daysAgo: 2 });
  Deno.writeTextFileSync(join(repo, "train.ts"), "b\n");
  commitAll(repo, "second, with .exprag");
  writeRepoRun(repo, { dir, id: B, daysAgo: 1 });
  const sub = join(repo, "sub");
  const o = await cli(sub, ["--allow-read=../.exprag", "--allow-run=git"], [
    "diff",
    A,
    B,
    "--stat",
    "--dir",
    "../.exprag",
  ]);
  equal(o.code, 0, o.stderr);
  match(o.stdout, /train\.ts/);
  ok(!o.stdout.includes(".exprag"), o.stdout);
});

Deno.test("checkout --worktree: the run's exact code in a new worktree, user's checkout untouched", async () => {
  const { repo, snap } = twoRuns();
  const before = userState(repo);
  const wt = join(tempDir("exprag-wt-"), "run-b");
  const o = await cli(repo, G, ["checkout", B, "--worktree", wt]);
  equal(o.code, 0, o.stderr);
  const kv = Object.fromEntries(
    tableObjects(o.stdout).map((r) => [r.field, r.value]),
  );
  equal(kv.commit, snap);
  equal(kv.worktree, wt);
  equal(Deno.readTextFileSync(join(wt, "train.ts")), "const lr = 0.03;\n");
  equal(Deno.readTextFileSync(join(wt, "new.ts")), "export {};\n");
  let deleted = true;
  try {
    Deno.statSync(join(wt, "src/m.ts"));
    deleted = false;
  } catch { /* deleted in the snapshot, as in the worktree at run start */ }
  ok(deleted, "src/m.ts was deleted when run B started");
  equal(git(wt, "rev-parse", "HEAD"), snap);
  deepStrictEqual(userState(repo), before);
  // the clean run A too, with --json
  const wa = join(tempDir("exprag-wt-"), "run-a");
  const j = await cli(repo, G, ["checkout", A, "--worktree", wa, "--json"]);
  equal(j.code, 0, j.stderr);
  equal(JSON.parse(j.stdout).commit, git(repo, "rev-parse", "HEAD"));
  equal(Deno.readTextFileSync(join(wa, "train.ts")), "const lr = 0.1;\n");
  deepStrictEqual(userState(repo), before);
});

Deno.test("checkout in place: refused on a dirty worktree (suggesting --worktree), nothing changed", async () => {
  const { repo } = twoRuns();
  const before = userState(repo);
  const o = await cli(repo, G, ["checkout", A]);
  equal(o.code, 1);
  match(oneLine(o.stderr), /uncommitted changes .*--worktree DIR/);
  equal(o.stdout, "");
  deepStrictEqual(userState(repo), before);
});

Deno.test("checkout in place on a clean worktree: run/<id> branch for snapshots, detached commit for clean runs", async () => {
  const { repo, head, snap } = twoRuns();
  git(repo, "checkout", "-q", "--", ".");
  Deno.removeSync(join(repo, "new.ts"));
  const o = await cli(repo, G, ["checkout", B]);
  equal(o.code, 0, o.stderr);
  equal(git(repo, "symbolic-ref", "--short", "HEAD"), `run/${B}`);
  equal(git(repo, "rev-parse", "HEAD"), snap);
  equal(Deno.readTextFileSync(join(repo, "train.ts")), "const lr = 0.03;\n");
  const kv = Object.fromEntries(
    tableObjects(o.stdout).map((r) => [r.field, r.value]),
  );
  equal(kv.previous, "main");
  equal(kv.return_with, "git checkout main");
  const a = await cli(repo, G, ["checkout", A]);
  equal(a.code, 0, a.stderr);
  equal(git(repo, "rev-parse", "HEAD"), head);
  notEqual(
    new Deno.Command("git", { args: ["symbolic-ref", "-q", "HEAD"], cwd: repo })
      .outputSync().code,
    0,
  );
  equal(Deno.readTextFileSync(join(repo, "train.ts")), "const lr = 0.1;\n");
});

Deno.test("checkout/diff: runs without git state, commits missing from the repository, not a repository", async () => {
  const { repo, dir } = twoRuns();
  const none = writeDenoRun(dir, { daysAgo: 0.5, end: "finished", git: null });
  const n = await cli(repo, G, [
    "checkout",
    none,
    "--worktree",
    join(tempDir(), "x"),
  ]);
  equal(n.code, 1);
  match(oneLine(n.stderr), /recorded no git state/);
  const gone = writeDenoRun(dir, {
    daysAgo: 0.4,
    end: "finished",
    git: { commit: "deadbeef".repeat(5), branch: "main", dirty: false },
  });
  const g = await cli(repo, G, ["diff", A, gone]);
  equal(g.code, 1);
  match(oneLine(g.stderr), /is not in this repository/);
  const outside = tempDir("exprag-norepo-");
  const d2 = makeExprag(outside);
  writeDenoRun(d2, {
    id: A,
    end: "finished",
    git: {
      commit: "0123456789abcdef0123456789abcdef01234567",
      branch: "main",
      dirty: false,
    },
  });
  const nr = await cli(outside, G, [
    "checkout",
    A,
    "--worktree",
    join(outside, "wt"),
  ]);
  equal(nr.code, 1);
  match(oneLine(nr.stderr), /not inside a git repository/);
});

Deno.test("hostile branch and commit strings never reach git as options", async () => {
  const { repo, dir, head } = twoRuns();
  const pwned = join(tempDir("exprag-pwned-"), "pwned");
  const hostile = [
    `--upload-pack=touch ${pwned}`,
    `-c core.sshCommand=touch ${pwned}`,
    "--output=" + pwned,
    "../../etc/passwd",
    "HEAD~1",
    "main",
    `${head.slice(0, 12)} --output=${pwned}`,
    "@{-1}",
  ];
  const { env, log } = loggingGit();
  for (const [i, bad] of hostile.entries()) {
    const id = `cccccccc-0000-4000-8000-${String(i).padStart(12, "0")}`;
    writeDenoRun(dir, {
      id,
      daysAgo: 0.1,
      end: "finished",
      git: { commit: bad, branch: bad, dirty: true, head: bad },
    });
    for (
      const args of [
        ["checkout", id, "--worktree", join(tempDir(), "wt")],
        ["checkout", id],
        ["diff", A, id],
        ["diff", id, A, "--stat"],
      ]
    ) {
      const o = await cli(repo, G, args, env);
      equal(o.code, 1, `${args.join(" ")} with ${bad}: ${o.stdout}${o.stderr}`);
      oneLine(o.stderr);
    }
  }
  // a valid commit with a hostile branch: the branch is ignored, the commit checked out detached
  for (
    const [i, bad] of [
      "--orphan=evil",
      `-c core.sshCommand=touch ${pwned}`,
      "@{-1}",
      `run/${B}`,
    ].entries()
  ) {
    const id = `dddddddd-0000-4000-8000-${String(i).padStart(12, "0")}`;
    writeDenoRun(dir, {
      id,
      daysAgo: 0.1,
      end: "finished",
      git: { commit: head, branch: bad, dirty: true },
    });
    const wt = join(tempDir(), "wt");
    const o = await cli(repo, G, ["checkout", id, "--worktree", wt], env);
    equal(o.code, 0, o.stderr);
    equal(git(wt, "rev-parse", "HEAD"), head);
    const kv = Object.fromEntries(
      tableObjects(o.stdout).map((r) => [r.field, r.value]),
    );
    equal(kv.branch, "", `branch ${bad} must not be used`);
  }
  let exists = true;
  try {
    Deno.statSync(pwned);
  } catch {
    exists = false;
  }
  equal(exists, false, "a hostile string ran a command");
  const args = Deno.readTextFileSync(log).split("\n");
  ok(
    args.includes("rev-parse") && args.includes("worktree"),
    "the logging git wrapper was used",
  );
  for (const a of args) {
    if (a.startsWith("-")) {
      ok(ALLOWED_GIT_OPTIONS.has(a), `unexpected option reached git: ${a}`);
    }
  }
  for (const bad of hostile) {
    ok(
      !args.includes(bad) || bad === "main" || bad === "HEAD~1",
      `record string reached git: ${bad}`,
    );
  }
});

Deno.test("run ids from files never name paths outside the runs directory", async () => {
  const repo = makeRepo();
  const dir = makeExprag(repo);
  writePythonRun(dir, {
    id: "../../../etc/passwd",
    file: "evil.jsonl",
    tracks: [],
  });
  // the file name is safe, but its run_id is hostile: the run is skipped and reported
  const o = await cli(repo, G, ["git"]);
  equal(o.code, 0, o.stderr);
  equal(tableObjects(o.stdout).length, 0);
  const c = await cli(repo, G, ["checkout", "../../../etc/passwd"]);
  equal(c.code, 2);
  oneLine(c.stderr);
});

Deno.test("checkout in place: an untracked, unignored exprag directory does not count as a change", async () => {
  const repo = makeRepo({ "train.ts": "a\n" });
  const dir = makeExprag(repo);
  const head = git(repo, "rev-parse", "HEAD");
  writeRepoRun(repo, { dir, id: A, daysAgo: 2 });
  Deno.writeTextFileSync(join(repo, "train.ts"), "b\n");
  git(repo, "commit", "-q", "-am", "b");
  ok(git(repo, "status", "--porcelain").includes(".exprag"));
  const o = await cli(repo, G, ["checkout", A]);
  equal(o.code, 0, o.stderr);
  equal(git(repo, "rev-parse", "HEAD"), head);
  equal(Deno.readTextFileSync(join(repo, "train.ts")), "a\n");
});
