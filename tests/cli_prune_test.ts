// `exprag prune`: a dry run unless --yes, removing exactly the selected runs
// (run file, notes file, snapshot ref, remote sync refs), never a running
// run, never a ref that is not exprag's or that moved; --orphans; minimal
// flags. Real repositories, real tracker processes, a real bare remote.
import {
  deepStrictEqual as deepEqual,
  match,
  ok,
  strictEqual as equal,
} from "node:assert/strict";
import { join } from "node:path";
import {
  cli,
  makeExprag,
  oneLine,
  tableObjects,
  writeDenoRun,
  writePythonRun,
  writeRepoRun,
} from "./_cli_fixtures.ts";
import {
  git,
  GIT_ENV,
  IMPORT_TRACKER,
  makeRepo,
  spawnUntil,
  tempDir,
} from "./_helpers.ts";
import { removeRunFile } from "../src/cli/prune_files.ts";
import { addSubmodule, trackedRun } from "./_git_fixtures.ts";

const DRY = ["--allow-read=.exprag", "--allow-run=git"];
const YES = [...DRY, "--allow-write=.exprag"];

const IDS = [
  "10000000-0000-4000-8000-000000000001",
  "20000000-0000-4000-8000-000000000002",
  "30000000-0000-4000-8000-000000000003",
  "40000000-0000-4000-8000-000000000004",
];

/**
 * A repository with four dirty runs (each with its snapshot branch
 * run/<id>), started 10, 7, 4 and 1 days ago with lr 0..3 and acc
 * 0.5/0.9/0.7/0.6; the third failed.
 */
function sweep(): { repo: string; dir: string; commits: string[] } {
  const repo = makeRepo({ "train.ts": "lr=x\n", ".gitignore": ".exprag/\n" });
  const dir = makeExprag(repo);
  const acc = [0.5, 0.9, 0.7, 0.6];
  const commits = IDS.map((id, i) => {
    Deno.writeTextFileSync(join(repo, "train.ts"), `lr=${i}\n`);
    const g = writeRepoRun(repo, {
      dir,
      id,
      name: `sweep-${i}`,
      daysAgo: 10 - 3 * i,
      metadata: { lr: i },
      tracks: [{ value: { acc: acc[i] } }],
      end: i === 2 ? "failed" : "finished",
    });
    return g.commit as string;
  });
  return { repo, dir, commits };
}

/** Every file below a directory with its bytes (symlinks as their target). */
function filesOf(root: string, at = ""): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of Deno.readDirSync(join(root, at))) {
    const rel = at === "" ? e.name : `${at}/${e.name}`;
    if (e.isDirectory) Object.assign(out, filesOf(root, rel));
    else if (e.isSymlink) out[rel] = `-> ${Deno.readLinkSync(join(root, rel))}`;
    else out[rel] = Deno.readTextFileSync(join(root, rel));
  }
  return out;
}

/** The exprag directory's files and the repository's refs. */
function stateOf(
  repo: string,
): { files: Record<string, string>; refs: string } {
  return {
    files: filesOf(join(repo, ".exprag")),
    refs: git(repo, "for-each-ref", "--format=%(refname) %(objectname)"),
  };
}

function refExists(repo: string, ref: string): boolean {
  return git(repo, "for-each-ref", "--format=%(refname)", ref) === ref;
}

function lastLine(stdout: string): string {
  return stdout.trimEnd().split("\n").at(-1) ?? "";
}

Deno.test("prune: a dry run changes nothing, byte for byte; --yes removes exactly the listed runs, their notes and snapshot branches, and no user branch", async () => {
  const { repo } = sweep();
  const head = git(repo, "rev-parse", "HEAD");
  git(repo, "branch", "run/x", head); // a user's branch in the same namespace
  git(repo, "branch", `run/${IDS[0]}-mine`, head);
  const tag = await cli(repo, [
    "--allow-read=.exprag",
    "--allow-write=.exprag/notes",
  ], ["tag", IDS[0], "verdict=bad"]);
  equal(tag.code, 0, tag.stderr);
  const before = stateOf(repo);
  const args = ["prune", "--status", "finished", "--where", "metadata.lr < 2"];
  const dry = await cli(repo, DRY, args);
  equal(dry.code, 0, dry.stderr);
  equal(dry.stderr, "");
  deepEqual(stateOf(repo), before);
  equal(
    lastLine(dry.stdout),
    "dry run: would remove 2 runs, 1 other file, 2 refs; pass --yes to remove",
  );
  deepEqual(
    tableObjects(dry.stdout).map((r) => [r.action, r.kind, r.run, r.target]),
    [
      ["remove", "run_file", IDS[0], `.exprag/runs/${IDS[0]}.jsonl`],
      ["remove", "notes_file", IDS[0], `.exprag/notes/${IDS[0]}.jsonl`],
      ["remove", "ref", IDS[0], `refs/heads/run/${IDS[0]}`],
      ["remove", "run_file", IDS[1], `.exprag/runs/${IDS[1]}.jsonl`],
      ["remove", "ref", IDS[1], `refs/heads/run/${IDS[1]}`],
    ],
  );
  const json = await cli(repo, DRY, [...args, "--json"]);
  const plan = JSON.parse(json.stdout);
  equal(plan.dry_run, true);
  equal(plan.actions.length, 5);
  deepEqual(stateOf(repo), before);

  const yes = await cli(repo, YES, [...args, "--yes"]);
  equal(yes.code, 0, yes.stderr);
  equal(lastLine(yes.stdout), "removed 2 runs, 1 other file, 2 refs");
  ok(tableObjects(yes.stdout).every((r) => r.action === "removed"));
  const after = stateOf(repo);
  const expected = { ...before.files };
  delete expected[`runs/${IDS[0]}.jsonl`];
  delete expected[`runs/${IDS[1]}.jsonl`];
  delete expected[`notes/${IDS[0]}.jsonl`];
  deepEqual(after.files, expected);
  deepEqual(
    after.refs.split("\n"),
    before.refs.split("\n").filter((l) =>
      !l.startsWith(`refs/heads/run/${IDS[0]} `) &&
      !l.startsWith(`refs/heads/run/${IDS[1]} `)
    ),
  );
  ok(refExists(repo, "refs/heads/run/x"));
  ok(refExists(repo, `refs/heads/run/${IDS[0]}-mine`));
  // the rest still answers
  const runs = await cli(repo, ["--allow-read=.exprag"], ["runs", "--json"]);
  deepEqual(
    JSON.parse(runs.stdout).map((r: { id: string }) => r.id).sort(),
    [IDS[2], IDS[3]],
  );
  // again: nothing left to select
  const again = await cli(repo, YES, [...args, "--yes"]);
  equal(again.code, 0, again.stderr);
  equal(lastLine(again.stdout), "removed 0 runs, 0 other files, 0 refs");
  match(again.stderr, /exprag: note: nothing selected/);
});

Deno.test("prune: a snapshot ref that moved is kept (its run file goes), and --orphans never takes it", async () => {
  const { repo } = sweep();
  const head = git(repo, "rev-parse", "HEAD");
  git(repo, "update-ref", `refs/heads/run/${IDS[1]}`, head); // the user moved it
  const o = await cli(repo, YES, [
    "prune",
    "--where",
    "name = sweep-1",
    "--yes",
  ]);
  equal(o.code, 0, o.stderr);
  const rows = tableObjects(o.stdout);
  deepEqual(rows.map((r) => [r.action, r.kind]), [
    ["removed", "run_file"],
    ["keep", "ref"],
  ]);
  match(rows[1].reason, /^moved: points at [0-9a-f]{12}, the run recorded /);
  equal(git(repo, "rev-parse", `refs/heads/run/${IDS[1]}`), head);
  const orphans = await cli(repo, YES, ["prune", "--orphans", "--yes"]);
  equal(orphans.code, 0, orphans.stderr);
  equal(git(repo, "rev-parse", `refs/heads/run/${IDS[1]}`), head);
});

Deno.test("prune: a running run is never removed, even when selected; its file lock is checked again right before removing", async () => {
  const repo = makeRepo({ ".gitignore": ".exprag/\n" });
  const script = join(tempDir("exprag-prune-live-"), "train.ts");
  Deno.writeTextFileSync(
    script,
    IMPORT_TRACKER +
      `using exp = new Experiment("live", { git: false });\n` +
      `exp.track({ acc: 0.1 });\nconsole.log("tracked " + exp.path);\n` +
      `await new Promise((r) => setTimeout(r, 120000));\n`,
  );
  const child = await spawnUntil(repo, script, {
    flags: ["--allow-write=.exprag"],
    marker: "tracked",
  });
  try {
    const dir = join(repo, ".exprag");
    const file = [...Deno.readDirSync(join(dir, "runs"))][0].name;
    const path = join(dir, "runs", file);
    const id = file.replace(/\.jsonl$/, "");
    const bytes = Deno.readFileSync(path);
    for (
      const sel of [["--where", "name = live"], ["--status", "running"], [
        "--keep-best",
        "1",
        "value.acc",
        "--status",
        "running",
      ]]
    ) {
      const o = await cli(repo, YES, ["prune", ...sel, "--yes"]);
      equal(o.code, 0, o.stderr);
      const rows = tableObjects(o.stdout);
      if (sel[0] === "--keep-best") {
        equal(rows.length, 0, o.stdout); // the only ranked run is the best
        continue;
      }
      deepEqual(rows.map((r) => [r.action, r.kind, r.run, r.status]), [
        ["keep", "run_file", id, "running"],
      ]);
      match(rows[0].reason, /never removed/);
    }
    deepEqual(Deno.readFileSync(path), bytes);
    // the removal itself refuses a locked file, whatever the listing said
    const r = removeRunFile(path, id);
    equal(r.ok, false);
    match((r as { reason: string }).reason, /a live process holds its lock/);
    deepEqual(Deno.readFileSync(path), bytes);
  } finally {
    child.kill("SIGKILL");
    await child.stdout.cancel();
    await child.status;
  }
});

Deno.test("prune --keep-best N PATH: the ranked runs outside the top N are selected, as best ranks them; --min; combined with --where", async () => {
  const { repo } = sweep();
  const best = await cli(repo, YES, [
    "prune",
    "--keep-best",
    "2",
    "value.acc",
    "--json",
  ]);
  equal(best.code, 0, best.stderr);
  const plan = JSON.parse(best.stdout);
  // finished runs ranked (the failed one is not): 0.9, 0.6 kept; 0.5 selected
  deepEqual(
    plan.actions.filter((a: { kind: string }) => a.kind === "run_file").map((
      a: { run: string },
    ) => a.run),
    [IDS[0]],
  );
  match(plan.notes.join("\n"), /keeps the 2 best of 3 ranked runs/);
  const min = await cli(repo, DRY, [
    "prune",
    "--keep-best",
    "1",
    "value.acc",
    "--min",
    "--status",
    "finished,failed",
    "--json",
  ]);
  deepEqual(
    JSON.parse(min.stdout).actions.filter((a: { kind: string }) =>
      a.kind === "run_file"
    ).map((a: { run: string }) => a.run),
    [IDS[1], IDS[2], IDS[3]],
  );
  // among lr >= 1 (0.9, 0.6 finished), keep the best one: 0.6 is selected
  const scoped = await cli(repo, YES, [
    "prune",
    "--keep-best",
    "1",
    "value.acc",
    "--where",
    "metadata.lr >= 1",
    "--yes",
  ]);
  equal(scoped.code, 0, scoped.stderr);
  deepEqual(
    tableObjects(scoped.stdout).filter((r) => r.kind === "run_file").map((r) =>
      r.run
    ),
    [IDS[3]],
  );
  for (
    const bad of [
      ["--keep-best", "0", "value.acc"],
      ["--keep-best", "x", "value.acc"],
      ["--keep-best", "2"],
      ["--keep-best", "2", "--yes"],
    ]
  ) {
    const o = await cli(repo, YES, ["prune", ...bad]);
    equal(o.code, 2, `${bad.join(" ")}: ${o.stderr}`);
    match(oneLine(o.stderr), /--keep-best/);
  }
});

Deno.test("prune --older-than: runs started before an age or a date, stated as the instant it stands for", async () => {
  const { repo } = sweep();
  const o = await cli(repo, DRY, ["prune", "--older-than", "5d"]);
  equal(o.code, 0, o.stderr);
  match(
    o.stderr,
    /^exprag: note: --older-than 5d: started before \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n$/,
  );
  deepEqual(
    tableObjects(o.stdout).filter((r) => r.kind === "run_file").map((r) =>
      r.run
    ),
    [IDS[0], IDS[1]],
  );
  const date = new Date(Date.now() - 8.5 * 86_400_000).toISOString().slice(
    0,
    10,
  );
  const d = await cli(repo, DRY, ["prune", "--older-than", date, "--json"]);
  deepEqual(
    JSON.parse(d.stdout).actions.filter((a: { kind: string }) =>
      a.kind === "run_file"
    ).map((a: { run: string }) => a.run),
    [IDS[0]],
  );
  const bad = await cli(repo, DRY, ["prune", "--older-than", "soon"]);
  equal(bad.code, 2);
  match(oneLine(bad.stderr), /--older-than: Invalid time "soon"/);
});

Deno.test("prune refuses to select everything by default: no selector is a usage error (exit 2); --status checks its states", async () => {
  const { repo } = sweep();
  const before = stateOf(repo);
  for (const args of [["prune"], ["prune", "--yes"], ["prune", "--max"]]) {
    const o = await cli(repo, YES, args);
    equal(o.code, 2, o.stderr);
    match(oneLine(o.stderr), /prune needs a selector/);
    equal(o.stdout, "");
  }
  const bad = await cli(repo, YES, ["prune", "--status", "done", "--yes"]);
  equal(bad.code, 2);
  match(oneLine(bad.stderr), /--status: unknown status "done"/);
  deepEqual(stateOf(repo), before);
});

Deno.test("prune: minimal flags: the dry run needs --allow-read=.exprag --allow-run=git, --yes adds --allow-write=.exprag; without git the files are still handled", async () => {
  const { repo } = sweep();
  const before = stateOf(repo);
  const args = ["prune", "--where", "name = sweep-0"];
  for (const flag of DRY) {
    const o = await cli(repo, DRY.filter((f) => f !== flag), args);
    equal(o.code, 1, o.stderr);
    ok(oneLine(o.stderr).endsWith(`add ${flag}`), o.stderr);
  }
  const noWrite = await cli(repo, DRY, [...args, "--yes"]);
  equal(noWrite.code, 1);
  equal(
    oneLine(noWrite.stderr),
    "exprag: prune: write permission for .exprag not granted; add --allow-write=.exprag",
  );
  deepEqual(stateOf(repo), before);
  // no git on PATH: the run file goes, the note says the refs were not checked
  const env = { PATH: tempDir("exprag-no-git-") };
  const o = await cli(repo, YES, [...args, "--yes"], env);
  equal(o.code, 0, o.stderr);
  match(
    o.stderr,
    /exprag: note: snapshot refs not checked: git not found on PATH \(refs of removed runs stay: exprag prune --orphans, with git, finds them\)/,
  );
  deepEqual(
    tableObjects(o.stdout).map((r) => [r.action, r.kind]),
    [["removed", "run_file"]],
  );
  ok(refExists(repo, `refs/heads/run/${IDS[0]}`));
});

Deno.test("prune --orphans: snapshot refs without a run file (exprag's commits, older than an hour) and stale temporary files; nothing else", async () => {
  const { repo, dir } = sweep();
  const head = git(repo, "rev-parse", "HEAD");
  const tree = git(repo, "rev-parse", "HEAD^{tree}");
  const old = new Date(Date.now() - 3 * 3600_000).toISOString();
  const commit = (subject: string, date?: string) =>
    new TextDecoder().decode(
      new Deno.Command("git", {
        args: ["commit-tree", tree, "-p", head, "-m", subject],
        cwd: repo,
        env: date === undefined
          ? GIT_ENV
          : { ...GIT_ENV, GIT_COMMITTER_DATE: date, GIT_AUTHOR_DATE: date },
        stdout: "piped",
      }).outputSync().stdout,
    ).trim();
  const orphan = "aaaaaaaa-0000-4000-8000-00000000000a";
  const fallback = "bbbbbbbb-0000-4000-8000-00000000000b";
  const young = "cccccccc-0000-4000-8000-00000000000c";
  const users = "dddddddd-0000-4000-8000-00000000000d";
  git(
    repo,
    "update-ref",
    `refs/heads/run/${orphan}`,
    commit(`exprag snapshot of run ${orphan}`, old),
  );
  git(
    repo,
    "update-ref",
    `refs/exprag/runs/${fallback}`,
    commit(`exprag snapshot of run ${fallback}`, old),
  );
  // a run being started: its ref exists before its file
  git(
    repo,
    "update-ref",
    `refs/heads/run/${young}`,
    commit(`exprag snapshot of run ${young}`),
  );
  git(repo, "update-ref", `refs/heads/run/${users}`, commit("wip", old)); // not exprag's
  git(repo, "branch", "run/x", head);
  const stale = `.git-index-${orphan}.tmp`;
  const fresh = `.git-pathspec-${young}.tmp`;
  const other = ".git-index-notarun.tmp";
  for (const name of [stale, fresh, other, `${stale}.lock`]) {
    Deno.writeTextFileSync(join(dir, name), "x");
  }
  const past = new Date(Date.now() - 2 * 3600_000);
  for (const name of [stale, other, `${stale}.lock`]) {
    Deno.utimeSync(join(dir, name), past, past);
  }
  Deno.symlinkSync("/etc/passwd", join(dir, `.git-index-${users}.tmp`));
  Deno.utimeSync(join(dir, fresh), new Date(), new Date());
  // a pull killed midway: its temporary files in runs/ and notes/
  Deno.mkdirSync(join(dir, "notes"), { recursive: true });
  const pulled = `.${orphan}.pull-0123abcd.tmp`;
  const pulling = `.${young}.pull-89abcdef.tmp`;
  for (const sub of ["runs", "notes"]) {
    Deno.writeTextFileSync(join(dir, sub, pulled), "x");
    Deno.utimeSync(join(dir, sub, pulled), past, past);
  }
  Deno.writeTextFileSync(join(dir, "runs", pulling), "x");
  const before = stateOf(repo);
  const dry = await cli(repo, DRY, ["prune", "--orphans"]);
  equal(dry.code, 0, dry.stderr);
  deepEqual(stateOf(repo), before);
  const listed = tableObjects(dry.stdout).map((r) => [r.kind, r.target]);
  deepEqual(listed, [
    ["orphan_ref", `refs/exprag/runs/${fallback}`],
    ["orphan_ref", `refs/heads/run/${orphan}`],
    ["temp_file", `.exprag/${stale}`],
    ["temp_file", `.exprag/${stale}.lock`],
    ["temp_file", `.exprag/runs/${pulled}`],
    ["temp_file", `.exprag/notes/${pulled}`],
  ]);
  const yes = await cli(repo, YES, ["prune", "--orphans", "--yes"]);
  equal(yes.code, 0, yes.stderr);
  equal(lastLine(yes.stdout), "removed 0 runs, 4 other files, 2 refs");
  ok(!(pulled in filesOf(join(dir, "runs"))));
  ok(!(pulled in filesOf(join(dir, "notes"))));
  ok(pulling in filesOf(join(dir, "runs")));
  ok(!refExists(repo, `refs/heads/run/${orphan}`));
  ok(!refExists(repo, `refs/exprag/runs/${fallback}`));
  for (const kept of [young, users, "x", ...IDS]) {
    ok(refExists(repo, `refs/heads/run/${kept}`), kept);
  }
  const files = filesOf(dir);
  ok(!(stale in files) && !(`${stale}.lock` in files));
  ok(fresh in files && other in files && `.git-index-${users}.tmp` in files);
});

Deno.test("prune --remote R: the removed runs' sync refs on a bare remote go too (only those), the others stay", async () => {
  const { repo, commits } = sweep();
  const remote = tempDir("exprag-prune-remote-");
  git(remote, "init", "-q", "--bare");
  git(repo, "remote", "add", "origin", remote);
  const head = git(repo, "rev-parse", "HEAD");
  for (const [i, id] of IDS.entries()) {
    git(
      repo,
      "push",
      "-q",
      "origin",
      `${commits[i]}:refs/exprag/sync/code/${id}`,
      `${head}:refs/exprag/sync/runs/${id}`,
    );
  }
  git(repo, "push", "-q", "origin", `${head}:refs/exprag/sync/notes/${IDS[0]}`);
  git(repo, "push", "-q", "origin", `${head}:refs/heads/run/${IDS[0]}`); // not ours on the remote
  const remoteRefs = () => git(remote, "for-each-ref", "--format=%(refname)");
  const before = remoteRefs();
  const args = ["prune", "--where", "metadata.lr < 1", "--remote", "origin"];
  const dry = await cli(repo, DRY, args);
  equal(dry.code, 0, dry.stderr);
  equal(remoteRefs(), before);
  deepEqual(
    tableObjects(dry.stdout).filter((r) => r.kind === "remote_ref").map((r) =>
      r.target
    ),
    ["code", "notes", "runs"].map((k) =>
      `origin refs/exprag/sync/${k}/${IDS[0]}`
    ),
  );
  const yes = await cli(repo, YES, [...args, "--yes"]);
  equal(yes.code, 0, yes.stderr);
  deepEqual(
    remoteRefs().split("\n"),
    before.split("\n").filter((r) =>
      !r.endsWith(`/${IDS[0]}`) || r.startsWith("refs/heads/")
    ),
  );
  ok(tableObjects(yes.stdout).every((r) => r.action === "removed"));
  const bad = await cli(repo, DRY, [
    ...args.slice(0, 3),
    "--remote",
    "--upload-pack=x",
  ]);
  equal(bad.code, 2, bad.stderr);
  const missing = await cli(repo, DRY, [
    "prune",
    "--status",
    "finished",
    "--remote",
    join(remote, "nonexistent"),
  ]);
  equal(missing.code, 1, missing.stderr);
  match(missing.stderr, /git ls-remote failed/);
});

Deno.test("prune: a symlinked run file, a Python exprag run of unknown status and another directory's files are never removed", async () => {
  const root = tempDir("exprag-prune-odd-");
  const dir = makeExprag(root);
  const elsewhere = makeExprag(tempDir("exprag-prune-out-"));
  const outside = writeDenoRun(elsewhere, { end: "finished", name: "target" });
  const inside = writeDenoRun(dir, {
    end: "finished",
    name: "target",
    file: "real.jsonl",
  });
  // a link inside runs/ to a run file inside runs/: listed, never removed
  Deno.renameSync(
    join(dir, "runs", "real.jsonl"),
    join(dir, "runs", "real.data"),
  );
  Deno.symlinkSync("real.data", join(dir, "runs", `${inside}.jsonl`));
  const py = writePythonRun(dir, { name: "py" });
  const before = filesOf(dir);
  const o = await cli(root, YES, ["prune", "--where", "name ~ .", "--yes"]);
  equal(o.code, 0, o.stderr);
  const rows = tableObjects(o.stdout);
  deepEqual(
    rows.map((r) => [r.action, r.run]).sort(),
    [["keep", inside], ["keep", py]].sort(),
  );
  match(rows.find((r) => r.run === inside)!.reason, /symbolic link/);
  match(rows.find((r) => r.run === py)!.reason, /--status unknown/);
  deepEqual(filesOf(dir), before);
  ok(Deno.lstatSync(join(elsewhere, "runs", `${outside}.jsonl`)).isFile);
  // named explicitly, the unknown-status run goes
  const u = await cli(root, YES, ["prune", "--status", "unknown", "--yes"]);
  equal(u.code, 0, u.stderr);
  match(u.stderr, /snapshot refs not checked: not inside a git repository/);
  deepEqual(
    tableObjects(u.stdout).map((r) => [r.action, r.run]),
    [["removed", py]],
  );
});

Deno.test("prune: a snapshot branch checked out in a worktree is kept (its HEAD would dangle)", async () => {
  const { repo } = sweep();
  const wt = join(tempDir("exprag-prune-wt-"), "wt");
  git(repo, "worktree", "add", "-q", wt, `run/${IDS[0]}`);
  const o = await cli(repo, YES, [
    "prune",
    "--where",
    "name = sweep-0",
    "--yes",
  ]);
  equal(o.code, 0, o.stderr);
  const rows = tableObjects(o.stdout);
  deepEqual(rows.map((r) => [r.action, r.kind]), [
    ["removed", "run_file"],
    ["keep", "ref"],
  ]);
  match(rows[1].reason, /^checked out in .*wt: switch that worktree/);
  ok(refExists(repo, `refs/heads/run/${IDS[0]}`));
  equal(git(wt, "symbolic-ref", "HEAD"), `refs/heads/run/${IDS[0]}`);
});

Deno.test("prune: four prunes at once remove each file and ref exactly once, none fails", async () => {
  const { repo } = sweep();
  const args = ["prune", "--status", "finished", "--yes", "--json"];
  const outs = await Promise.all(
    Array.from({ length: 4 }, () => cli(repo, YES, args)),
  );
  const removed: string[] = [];
  for (const o of outs) {
    equal(o.code, 0, o.stderr + o.stdout);
    for (const a of JSON.parse(o.stdout).actions) {
      ok(a.action === "removed" || a.reason === "already gone", a.reason);
      if (a.action === "removed") removed.push(a.target);
    }
  }
  deepEqual(
    removed.sort(),
    [0, 1, 3].flatMap((i) => [
      `.exprag/runs/${IDS[i]}.jsonl`,
      `refs/heads/run/${IDS[i]}`,
    ]).sort(),
  );
  ok(refExists(repo, `refs/heads/run/${IDS[2]}`)); // the failed run stays
});

Deno.test("prune: a real tracker run whose snapshot went to the fallback ref refs/exprag/runs/<id> (a branch named run blocks run/<id>)", async () => {
  const repo = makeRepo({ ".gitignore": ".exprag/\n", "train.ts": "1\n" });
  git(repo, "branch", "run");
  Deno.writeTextFileSync(join(repo, "train.ts"), "2\n");
  const script = join(tempDir("exprag-prune-fb-"), "train.ts");
  Deno.writeTextFileSync(
    script,
    IMPORT_TRACKER +
      `using exp = new Experiment("fb");\nexp.track({ acc: 1 });\nconsole.log("done " + exp.runId);\n`,
  );
  const child = await spawnUntil(repo, script, {
    flags: ["--allow-write=.exprag", "--allow-read=.", "--allow-run=git"],
    marker: "done",
  });
  await child.stdout.cancel();
  equal((await child.status).code, 0);
  const id = [...Deno.readDirSync(join(repo, ".exprag", "runs"))][0].name
    .replace(/\.jsonl$/, "");
  ok(refExists(repo, `refs/exprag/runs/${id}`));
  const o = await cli(repo, YES, ["prune", "--where", "name = fb", "--yes"]);
  equal(o.code, 0, o.stderr);
  deepEqual(tableObjects(o.stdout).map((r) => [r.action, r.kind, r.target]), [
    ["removed", "run_file", `.exprag/runs/${id}.jsonl`],
    ["removed", "ref", `refs/exprag/runs/${id}`],
  ]);
  ok(!refExists(repo, `refs/exprag/runs/${id}`));
  ok(refExists(repo, "refs/heads/run"));
});

Deno.test("prune: the removal checks the file still starts with the listed run's run_start", () => {
  const dir = makeExprag();
  const id = writeDenoRun(dir, { end: "finished" });
  const path = join(dir, "runs", `${id}.jsonl`);
  const r = removeRunFile(path, IDS[0]);
  equal(r.ok, false);
  match(
    (r as { reason: string }).reason,
    /no longer starts with the run_start/,
  );
  ok(Deno.lstatSync(path).isFile);
  deepEqual(removeRunFile(path, id), { ok: true });
  deepEqual(removeRunFile(path, id), {
    ok: false,
    reason: "already gone",
    gone: true,
  });
});

Deno.test("prune from another repository: the run files go, the note says their snapshot refs live in the recorded repository", async () => {
  const { repo, dir } = sweep();
  const other = makeRepo();
  const o = await cli(other, [
    `--allow-read=${dir}`,
    `--allow-write=${dir}`,
    "--allow-run=git",
  ], ["prune", "--dir", dir, "--where", "name = sweep-0", "--yes"]);
  equal(o.code, 0, o.stderr);
  equal(
    o.stderr,
    `exprag: note: some selected runs recorded their snapshot ref in another repository (${repo}): run exprag prune there to remove those refs\n`,
  );
  ok(refExists(repo, `refs/heads/run/${IDS[0]}`));
  deepEqual(tableObjects(o.stdout).map((r) => [r.action, r.kind]), [
    ["removed", "run_file"],
  ]);
});

Deno.test("prune: a real tracker run with a dirty submodule: its snapshot refs in the superproject and in the submodule go", async () => {
  const lib = makeRepo({ "lib.ts": "1\n" });
  const repo = makeRepo({ ".gitignore": ".exprag/\n" });
  addSubmodule(repo, lib, "lib");
  Deno.writeTextFileSync(join(repo, "lib", "lib.ts"), "2\n");
  const { id, g } = await trackedRun(repo);
  const subs = g.submodules as { path: string; ref: string }[];
  equal(subs.length, 1, JSON.stringify(g));
  const sub = join(repo, "lib");
  ok(refExists(sub, subs[0].ref));
  const o = await cli(repo, YES, ["prune", "--where", `name = git`, "--yes"]);
  equal(o.code, 0, o.stderr);
  deepEqual(tableObjects(o.stdout).map((r) => [r.action, r.kind, r.target]), [
    ["removed", "run_file", `.exprag/runs/${id}.jsonl`],
    ["removed", "ref", `refs/heads/run/${id}`],
    ["removed", "submodule_ref", `lib: ${subs[0].ref}`],
  ]);
  ok(!refExists(sub, subs[0].ref));
  ok(!refExists(repo, `refs/heads/run/${id}`));
});
