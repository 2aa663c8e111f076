// checkout in place: untracked files the run's code lacks never block it and
// stay; files it would overwrite or delete do; HEAD already at the run's
// code changes nothing and says so; `branch` means the recorded git.branch in
// checkout, runs and git alike. Real repositories, real runs, real CLI.
import {
  deepStrictEqual,
  match,
  strictEqual as equal,
} from "node:assert/strict";
import { join } from "node:path";
import { git, run, tempDir } from "./_helpers.ts";
import {
  cli,
  oneLine,
  RUN_A as A,
  RUN_B as B,
  tableObjects,
  twoRunRepo,
} from "./_cli_fixtures.ts";
import { fields, G } from "./_git_fixtures.ts";

/** Run A clean at HEAD on main; run B dirty (train.ts edited, new.ts untracked), snapshot on run/B; the worktree then made clean. */
function cleanAfterTwoRuns(): { repo: string; head: string; snap: string } {
  const r = twoRunRepo({
    change: (repo) =>
      Deno.writeTextFileSync(join(repo, "new.ts"), "export {};\n"),
  });
  git(r.repo, "checkout", "-q", "--", ".");
  Deno.removeSync(join(r.repo, "new.ts"));
  equal(git(r.repo, "status", "--porcelain"), "");
  return r;
}

/** `exprag checkout B` in place, refused: exit 1, no stdout, HEAD where it was; its one stderr line. */
async function refusedB(repo: string, head: string): Promise<string> {
  const o = await cli(repo, G, ["checkout", B]);
  equal(o.code, 1, o.stdout);
  equal(o.stdout, "");
  equal(git(repo, "rev-parse", "HEAD"), head);
  return oneLine(o.stderr);
}

Deno.test("checkout in place keeps untracked files the run's code lacks, through the checkout and back", async () => {
  const { repo, snap } = cleanAfterTwoRuns();
  Deno.writeTextFileSync(join(repo, "notes.txt"), "mine\n");
  Deno.mkdirSync(join(repo, "scratch"));
  Deno.writeTextFileSync(join(repo, "scratch/plot.py"), "print(1)\n");
  const o = await cli(repo, G, ["checkout", B]);
  equal(o.code, 0, o.stderr);
  equal(o.stderr, "");
  equal(git(repo, "symbolic-ref", "--short", "HEAD"), `run/${B}`);
  equal(git(repo, "rev-parse", "HEAD"), snap);
  equal(Deno.readTextFileSync(join(repo, "train.ts")), "const lr = 0.03;\n");
  equal(Deno.readTextFileSync(join(repo, "notes.txt")), "mine\n");
  const back = fields(o.stdout).return_with;
  equal(back, "git checkout main");
  const sh = await run("sh", ["-c", back], { cwd: repo });
  equal(sh.code, 0, sh.stderr);
  equal(Deno.readTextFileSync(join(repo, "notes.txt")), "mine\n");
  equal(Deno.readTextFileSync(join(repo, "scratch/plot.py")), "print(1)\n");
  equal(Deno.readTextFileSync(join(repo, "train.ts")), "const lr = 0.1;\n");
});

Deno.test("checkout in place refuses untracked files where the run's code has a file or a directory, listing them; nothing changes", async () => {
  const { repo, head } = cleanAfterTwoRuns();
  Deno.writeTextFileSync(join(repo, "new.ts"), "my own new.ts\n");
  Deno.writeTextFileSync(join(repo, "notes.txt"), "mine\n");
  const line = await refusedB(repo, head);
  match(line, /would overwrite or delete 1 untracked file .*\(new\.ts\)/);
  match(line, /--worktree DIR/);
  equal(git(repo, "symbolic-ref", "--short", "HEAD"), "main");
  equal(Deno.readTextFileSync(join(repo, "new.ts")), "my own new.ts\n");
  // an untracked file where the run's code needs a directory
  const d = twoRunRepo({
    change: (repo) => {
      Deno.mkdirSync(join(repo, "conf"));
      Deno.writeTextFileSync(join(repo, "conf/x.json"), "{}\n");
    },
  });
  git(d.repo, "checkout", "-q", "--", ".");
  Deno.removeSync(join(d.repo, "conf"), { recursive: true });
  Deno.writeTextFileSync(join(d.repo, "conf"), "my local conf\n");
  match(await refusedB(d.repo, d.head), /1 untracked file .*\(conf\)/);
  equal(Deno.readTextFileSync(join(d.repo, "conf")), "my local conf\n");
});

Deno.test("checkout in place still refuses tracked changes when untracked files are present", async () => {
  const { repo, head } = cleanAfterTwoRuns();
  Deno.writeTextFileSync(join(repo, "notes.txt"), "mine\n");
  Deno.writeTextFileSync(join(repo, "train.ts"), "const lr = 7;\n");
  match(
    await refusedB(repo, head),
    /uncommitted changes to tracked files \(1 path, e\.g\. train\.ts\)/,
  );
  equal(Deno.readTextFileSync(join(repo, "train.ts")), "const lr = 7;\n");
});

Deno.test("checkout in place when HEAD already is the run's code: one note line, exit 0, nothing changed", async () => {
  const { repo, head } = cleanAfterTwoRuns();
  Deno.writeTextFileSync(join(repo, "notes.txt"), "mine\n");
  const o = await cli(repo, G, ["checkout", A]);
  equal(o.code, 0, o.stderr);
  match(
    oneLine(o.stderr),
    new RegExp(
      `^exprag: note: HEAD already is run ${A}'s code \\(commit ${head} on branch main\\): nothing checked out`,
    ),
  );
  const kv = fields(o.stdout);
  equal(kv.checked_out, "");
  equal(kv.commit, head);
  // still on main, not detached; nothing else touched
  equal(git(repo, "symbolic-ref", "--short", "HEAD"), "main");
  equal(git(repo, "status", "--porcelain"), "?? notes.txt");
  const j = await cli(repo, G, ["checkout", A, "--json"]);
  equal(j.code, 0, j.stderr);
  equal(JSON.parse(j.stdout).checked_out, null);
  match(oneLine(j.stderr), /^exprag: note: HEAD already is run/);
  // after checking out run B in place, B again is a note too
  equal((await cli(repo, G, ["checkout", B])).code, 0);
  const again = await cli(repo, G, ["checkout", B]);
  equal(again.code, 0, again.stderr);
  match(oneLine(again.stderr), new RegExp(`on branch run/${B}\\)`));
});

Deno.test("branch is the run's recorded git.branch in checkout, runs and git (table and --json); snapshot_ref names the snapshot", async () => {
  const { repo, snap } = cleanAfterTwoRuns();
  const runs = tableObjects((await cli(repo, G, ["runs"])).stdout);
  const gitRows = tableObjects((await cli(repo, G, ["git"])).stdout);
  const runsJson = JSON.parse((await cli(repo, G, ["runs", "--json"])).stdout);
  const gitJson = JSON.parse((await cli(repo, G, ["git", "--json"])).stdout);
  for (
    const [id, branch, snapshotRef] of [[A, "main", ""], [
      B,
      `run/${B}`,
      `run/${B}`,
    ]]
  ) {
    const wt = join(tempDir("exprag-wt-"), "w");
    const c = await cli(repo, G, ["checkout", id, "--worktree", wt]);
    equal(c.code, 0, c.stderr);
    const kv = fields(c.stdout);
    const cj = JSON.parse(
      (await cli(repo, G, [
        "checkout",
        id,
        "--worktree",
        wt + "2",
        "--json",
      ])).stdout,
    );
    deepStrictEqual(
      [
        kv.branch,
        cj.branch,
        runs.find((r) => r.id === id)!.branch,
        gitRows.find((r) => r.id === id)!.branch,
        runsJson.find((r: { id: string }) => r.id === id).git.branch,
        gitJson.find((r: { id: string }) => r.id === id).git.branch,
      ],
      Array(6).fill(branch),
      id,
    );
    equal(kv.snapshot_ref, snapshotRef);
    equal(cj.snapshot_ref, snapshotRef === "" ? null : snapshotRef);
  }
  equal(git(repo, "rev-parse", `run/${B}`), snap);
});
