// Security: strings from run files and run references from the command
// line never reach git as options and never name paths outside the runs
// directory, for every command that touches git or takes a run; snapshots
// never hold ignored files, the exprag directory, or anything reached
// through a symlink out of the repository; secret-looking argv values are
// redacted everywhere a run is shown. cli_git_test.ts checks checkout/diff
// with hostile branch and commit strings; this file covers every command.
import assert from "node:assert/strict";
import { join } from "node:path";
import { git, makeRepo, tempDir } from "./_helpers.ts";
import {
  ALLOWED_GIT_OPTIONS,
  history,
  RUN_A as A,
  RUN_B as B,
  twoRunRepo,
  writeDenoRun,
} from "./_cli_fixtures.ts";
import {
  assertCleanStderr,
  cli,
  exists,
  IMPORT_TRACKER,
  loggedCalls,
  loggingGit,
  MOD_URL,
  parseRunFile,
  pool,
  recordLine,
  runFilesOf,
  spawnDeno,
  startValue,
  trackLines,
} from "./_faults.ts";

const FLAGS = ["--allow-read=.exprag", "--allow-run=git"];
const REL = ".exprag/runs";

function twoRuns(): { repo: string; dir: string; head: string } {
  const { repo, dir, head } = twoRunRepo({ steps: 2 });
  git(repo, "checkout", "-q", "--", "train.ts"); // clean again
  return { repo, dir, head };
}

function userState(repo: string): string[] {
  return [
    git(repo, "rev-parse", "HEAD"),
    git(repo, "symbolic-ref", "-q", "HEAD"),
    git(repo, "status", "--porcelain"),
    git(repo, "stash", "list"),
    git(repo, "for-each-ref", "--format=%(refname) %(objectname)"),
  ];
}

/** Every logged git call: fixed options only, no hostile string anywhere. */
function assertGitCalls(log: string, hostile: string[], what: string): number {
  const calls = loggedCalls(log);
  for (const call of calls) {
    for (const a of call) {
      if (a.startsWith("-")) {
        assert.ok(
          ALLOWED_GIT_OPTIONS.has(a),
          `${what}: an option reached git: ${JSON.stringify(a)} in ${
            JSON.stringify(call)
          }`,
        );
      }
      for (const h of hostile) {
        assert.ok(
          a !== h && !(h.length >= 8 && a.includes(h)),
          `${what}: a record string reached git: ${JSON.stringify(h)} in ${
            JSON.stringify(call)
          }`,
        );
      }
    }
  }
  return calls.length;
}

Deno.test("hostile git fields in records never reach git, for every command that shows or uses them", async () => {
  const { repo, dir, head } = twoRuns();
  const pwned = join(tempDir("exprag-pwned-"), "pwned");
  const hostile = [
    `--upload-pack=touch ${pwned}`,
    `-c core.sshCommand=touch ${pwned}`,
    `--output=${pwned}`,
    `--exec=touch ${pwned}`,
    "../../etc/passwd",
    "@{-1}",
    ":/initial",
    "HEAD^{tree}",
    `$(touch ${pwned})`,
    `; touch ${pwned}`,
    `${head.slice(0, 12)} --output=${pwned}`,
    `abc\n--output=${pwned}`,
    "-",
  ];
  // values that must not be used although they are no options
  const plain = ["HEAD~1", "main", "refs/heads/main", "f".repeat(40)];
  const ids: string[] = [];
  const hexIds = new Set<string>();
  for (const [i, bad] of [...hostile, ...plain].entries()) {
    const id = `cccccccc-0000-4000-8000-${String(i).padStart(12, "0")}`;
    ids.push(id);
    if (/^[0-9a-f]{7,64}$/.test(bad)) hexIds.add(id);
    writeDenoRun(dir, {
      id,
      daysAgo: 0.5,
      end: "finished",
      tracks: history(2, 0.1, 0.1),
      git: {
        commit: bad,
        branch: bad,
        dirty: true,
        head: bad,
        head_branch: bad,
        toplevel: bad,
        exprag_dir: bad,
        status: bad,
        mode: "snapshot",
      },
    });
  }
  const { env, log } = loggingGit();
  const before = userState(repo);
  let invocations = 0;
  const tasks = ids.flatMap((id) => [
    { args: ["show", id], ok: true },
    { args: ["show", id, "--json"], ok: true },
    { args: ["compare", A, id], ok: true },
    { args: ["compare", id, A, "--json"], ok: true },
    { args: ["checkout", id], ok: false },
    { args: ["checkout", id, "--worktree", join(tempDir(), "wt")], ok: false },
    { args: ["diff", A, id], ok: false },
    { args: ["diff", id, A, "--stat", "--json"], ok: false },
  ]).concat([{ args: ["git"], ok: true }, {
    args: ["git", "--json"],
    ok: true,
  }]);
  await pool(
    3,
    tasks.map(({ args, ok }) => async () => {
      const o = await cli(repo, FLAGS, args, env);
      invocations++;
      const what = args.join(" ");
      assert.equal(o.code, ok ? 0 : 1, `${what}: ${o.stdout}${o.stderr}`);
      const lines = assertCleanStderr(o.stderr, [REL], what);
      assert.deepEqual(lines, [], `${what}: no problem lines`);
      if (!ok) assert.equal(o.stderr.trim().split("\n").length, 1, o.stderr);
      const hex = args.some((a) => hexIds.has(a));
      if (args[0] === "compare" && args.includes("--json") && !hex) {
        const c = JSON.parse(o.stdout);
        assert.equal(c.git_diff, null, `${what}: no git command suggested`);
      }
      if (args[0] === "compare" && !args.includes("--json") && !hex) {
        assert.ok(!/^git\tgit diff/m.test(o.stdout), `${what}: ${o.stdout}`);
      }
      if (!args.includes("--json")) {
        // tables: one row per line, nothing raw that could split a row
        assert.ok(!o.stdout.includes("\x1b"), what);
        assert.ok(!o.stdout.includes(`abc\n--output`), what);
      }
    }),
  );
  const calls = assertGitCalls(log, hostile, "records");
  assert.ok(calls > 0, "the logging git was used");
  for (const p of plain) {
    for (const call of loggedCalls(log)) {
      assert.ok(!call.includes(p), `${JSON.stringify(p)} reached git: ${call}`);
    }
  }
  assert.ok(!exists(pwned), "a hostile string ran a command");
  assert.deepEqual(
    userState(repo),
    before,
    "the user's repository is untouched",
  );
  console.log(
    `security figures: ${ids.length} hostile git states × ${invocations} invocations, ${calls} git calls checked`,
  );
});

Deno.test("hostile run references on the command line: refused in one line for every command taking a run, nothing outside the runs dir read", async () => {
  const { repo, dir } = twoRuns();
  const pwned = join(tempDir("exprag-pwned-"), "pwned");
  // a valid-looking run file outside the runs directory, reachable by ../
  const outside = join(dir, "outside");
  Deno.mkdirSync(outside);
  const secretRun = "SECRET-RUN-CONTENT";
  Deno.writeTextFileSync(
    join(outside, "x.jsonl"),
    [
      recordLine("x", "run_start", startValue({ metadata: secretRun })),
      ...trackLines("x", 1),
    ]
      .join("\n") + "\n",
  );
  Deno.writeTextFileSync(
    join(dir, "x.jsonl"),
    Deno.readTextFileSync(join(outside, "x.jsonl")),
  );
  const refs = [
    "../outside/x",
    "../x",
    "../../.exprag/outside/x",
    `${join(outside, "x")}`,
    "/etc/passwd",
    "..",
    ".",
    "",
    " ",
    "x/../../x",
    "--upload-pack=touch " + pwned,
    "-c",
    `$(touch ${pwned})`,
    "HEAD",
    "main",
    "@{-1}",
    ":/initial",
    "latest~999",
    "latest~-1",
    "a".repeat(10_000),
    "aaaa\naaaa",
  ];
  const { env, log } = loggingGit();
  // `--` keeps a reference that looks like an option a positional argument
  const commands = (ref: string): string[][] => [
    ["show", "--", ref],
    ["compare", "--", ref, A],
    ["compare", "--", B, ref],
    ["checkout", "--", ref],
    ["checkout", "--worktree", join(tempDir(), "wt"), "--", ref],
    ["diff", "--", ref, A],
    ["diff", "--stat", "--", A, ref],
    ["values", "value.metrics.loss", `--run=${ref}`],
    ["paths", `--run=${ref}`],
  ];
  let invocations = 0;
  await pool(
    3,
    refs.flatMap((ref) => commands(ref)).map((args) => async () => {
      const o = await cli(repo, FLAGS, args, env);
      invocations++;
      const what = JSON.stringify(args);
      assert.ok(
        o.code === 1 || o.code === 2,
        `${what}: exit ${o.code}: ${o.stdout}${o.stderr}`,
      );
      assertCleanStderr(o.stderr, [REL], what);
      assert.equal(
        o.stderr.trim().split("\n").length,
        1,
        `${what}: ${o.stderr}`,
      );
      assert.ok(
        !o.stdout.includes(secretRun) && !o.stderr.includes(secretRun),
        what,
      );
    }),
  );
  assertGitCalls(
    log,
    refs.filter((r) => r.length > 1 && r !== "HEAD" && r !== "main"),
    "refs",
  );
  assert.ok(!exists(pwned));
  console.log(
    `security figures: ${refs.length} hostile run references × ${invocations} invocations`,
  );
});

// ------------------------------------------------------------ snapshots

const MARK = "TOP-SECRET-MARKER";

Deno.test("snapshots never hold ignored files, the exprag directory, or anything behind a symlink out of the repository", async () => {
  const outside = tempDir("exprag-outside-");
  Deno.writeTextFileSync(join(outside, "secret.txt"), `${MARK} outside file\n`);
  Deno.mkdirSync(join(outside, "dir"));
  Deno.writeTextFileSync(join(outside, "dir", "inner.txt"), `${MARK} inner\n`);
  const globalExcludes = join(outside, "global-excludes");
  Deno.writeTextFileSync(globalExcludes, "global-secret.txt\n");
  const repo = makeRepo({
    "train.ts": "const lr = 0.1;\n",
    ".gitignore": "*.env\n*.key\ncache/\n",
  });
  git(repo, "config", "core.excludesFile", globalExcludes);
  Deno.writeTextFileSync(
    join(repo, ".git", "info", "exclude"),
    "local-secret.txt\n",
  );
  // dirty, with untracked files of every kind
  Deno.writeTextFileSync(join(repo, "train.ts"), "const lr = 0.03;\n");
  Deno.writeTextFileSync(join(repo, "notes.md"), "kept\n");
  Deno.writeTextFileSync(join(repo, "prod.env"), `${MARK} env\n`);
  Deno.writeTextFileSync(join(repo, "id.key"), `${MARK} key\n`);
  Deno.mkdirSync(join(repo, "cache"));
  Deno.writeTextFileSync(join(repo, "cache", "data.bin"), `${MARK} cache\n`);
  Deno.writeTextFileSync(join(repo, "local-secret.txt"), `${MARK} local\n`);
  Deno.writeTextFileSync(join(repo, "global-secret.txt"), `${MARK} global\n`);
  Deno.symlinkSync(join(outside, "secret.txt"), join(repo, "link-file"));
  Deno.symlinkSync(join(outside, "dir"), join(repo, "link-dir"));
  Deno.symlinkSync("../../../../../../../../etc", join(repo, "link-etc"));
  Deno.mkdirSync(join(repo, "sub"));
  Deno.symlinkSync(
    "../../" + outside.split("/").pop() + "/secret.txt",
    join(repo, "sub", "rel-link"),
  );
  // an embedded repository: at most a gitlink, never its files
  Deno.mkdirSync(join(repo, "vendor", "other"), { recursive: true });
  git(join(repo, "vendor", "other"), "init", "-q");
  Deno.writeTextFileSync(
    join(repo, "vendor", "other", "x.txt"),
    `${MARK} embedded\n`,
  );
  git(join(repo, "vendor", "other"), "add", "x.txt");
  git(join(repo, "vendor", "other"), "commit", "-q", "-m", "embedded");
  const code = `import { Experiment } from ${JSON.stringify(MOD_URL)};
const exp = new Experiment("snap", { dir: Deno.args[0] || undefined });
exp.end();
const start = JSON.parse(Deno.readTextFileSync(exp.path).split("\\n")[0]);
console.log(JSON.stringify({ ...start.value.git, unavailable: start.value.unavailable }));`;
  for (const dir of ["", "experiments/tracking"]) {
    // an earlier run's file in the (not ignored) exprag dir in use
    for (const d of [".exprag", "experiments"]) {
      try {
        Deno.removeSync(join(repo, d), { recursive: true });
      } catch { /* not there */ }
    }
    Deno.mkdirSync(join(repo, dir || ".exprag", "runs"), { recursive: true });
    Deno.writeTextFileSync(
      join(repo, dir || ".exprag", "runs", "old.jsonl"),
      `{"secret":"${MARK} run"}\n`,
    );
    const child = spawnDeno(code, [
      "--allow-run=git",
      "--allow-read",
      `--allow-write=${dir || ".exprag"}`,
    ], { cwd: repo, args: [dir], name: "snap" });
    const { status, stderr, rest } = await child.wait();
    assert.equal(status.code, 0, stderr);
    const g = JSON.parse(rest.at(-1)!);
    assert.equal(g.dirty, true);
    assert.equal(g.mode, "snapshot", JSON.stringify(g.unavailable));
    const entries = git(repo, "ls-tree", "-r", "--full-tree", g.commit)
      .split("\n").map((l) => {
        const [meta, path] = l.split("\t");
        const [mode, type, sha] = meta.split(" ");
        return { mode, type, sha, path };
      });
    const paths = entries.map((e) => e.path).sort();
    for (
      const p of [
        "train.ts",
        "notes.md",
        ".gitignore",
        "link-file",
        "link-dir",
        "link-etc",
        "sub/rel-link",
      ]
    ) {
      assert.ok(paths.includes(p), `${p} is in the snapshot: ${paths}`);
    }
    for (const e of entries) {
      assert.ok(
        !/\.env$|\.key$|^cache\/|secret\.txt$|^\.exprag\/|^experiments\//.test(
          e.path,
        ),
        `dir ${dir || ".exprag"}: ${e.path} must not be in the snapshot`,
      );
      assert.ok(
        !e.path.startsWith("link-dir/"),
        `${e.path}: followed a symlink`,
      );
      if (e.path.startsWith("link-") || e.path === "sub/rel-link") {
        assert.equal(e.mode, "120000", `${e.path} is kept as a symlink`);
      }
      if (e.path.startsWith("vendor/")) {
        assert.equal(e.type, "commit", `${e.path}: at most a gitlink`);
        continue;
      }
      const blob = git(repo, "cat-file", "blob", e.sha);
      assert.ok(
        !blob.includes(MARK),
        `${e.path}: secret content in the snapshot`,
      );
    }
    assert.equal(
      git(repo, "cat-file", "blob", `${g.commit}:link-file`),
      join(outside, "secret.txt"),
    );
  }
});

Deno.test("a nested repository without commits (git add refuses it) is left out of the snapshot and listed, never half-added", async () => {
  // (until f621437 this made the snapshot fail: mode "state" and
  // unavailable["git.snapshot"]; now it is skipped like an oversize file)
  const repo = makeRepo({ "train.ts": "a\n", ".gitignore": ".exprag/\n" });
  Deno.writeTextFileSync(join(repo, "train.ts"), "b\n");
  // an embedded repository without any commit: git add refuses it
  Deno.mkdirSync(join(repo, "scratch"));
  git(join(repo, "scratch"), "init", "-q");
  Deno.writeTextFileSync(join(repo, "scratch", "x.txt"), `${MARK}\n`);
  const child = spawnDeno(
    `import { Experiment } from ${JSON.stringify(MOD_URL)};
const exp = new Experiment("snap");
exp.end();
console.log(Deno.readTextFileSync(exp.path).split("\\n")[0]);`,
    ["--allow-run=git", "--allow-read", "--allow-write=.exprag"],
    { cwd: repo, name: "snap-nested" },
  );
  const { status, stderr, rest } = await child.wait();
  assert.equal(status.code, 0, stderr);
  assert.equal(stderr, "");
  const start = JSON.parse(rest.at(-1)!).value;
  assert.equal(start.git.mode, "snapshot", JSON.stringify(start));
  assert.equal(start.git.dirty, true);
  assert.equal(start.unavailable["git.snapshot"], undefined);
  assert.deepEqual(start.git.skipped, [
    {
      path: "scratch/",
      bytes: null,
      reason: "nested repository without commits",
    },
  ]);
  assert.equal(git(repo, "show", `${start.git.commit}:train.ts`), "b");
  const tree = git(repo, "ls-tree", "-r", start.git.commit);
  assert.doesNotMatch(tree, /scratch/);
});

// ------------------------------------------------------------ argv secrets

Deno.test("secret-looking argv values are redacted in the run file and in everything the CLI shows", async () => {
  const cwd = tempDir("exprag-argv-");
  const secrets: [string[], string][] = [
    [["--token=tok-a1"], "tok-a1"],
    [["--hf-token", "tok-a2"], "tok-a2"],
    [["--db-password=tok-a3"], "tok-a3"],
    [["--api_key", "tok-a4"], "tok-a4"],
    [["--aws-secret-access-key=tok-a5"], "tok-a5"],
    [["--private-key", "tok-a6"], "tok-a6"],
    [["--client-secret=tok-a7"], "tok-a7"],
    [["--auth-token", "tok-a8"], "tok-a8"],
    [["--cookie", "tok-a9"], "tok-a9"],
    [["--passphrase", "tok-b1"], "tok-b1"],
    [["PASSWORD=tok-b2"], "tok-b2"],
    [["MY_API_KEY=tok-b3"], "tok-b3"],
    [["WANDB_API_KEY=tok-b4"], "tok-b4"],
    [["postgres://user:tok-b5@db.example/x"], "tok-b5"],
    [["--database-url=mysql://root:tok-b6@localhost/db"], "tok-b6"],
    [["--header", "Authorization: Bearer tok-b7"], "tok-b7"],
    [["-H", "authorization: basic tok-b8"], "tok-b8"],
    [["sk-tokb9abcdefghijklmnopq"], "tokb9abcdefghijklmnopq"],
    [["ghp_tokc1abcdefghijklmnopqrstu"], "tokc1abcdefghijklmnopqrstu"],
    [["hf_tokc2abcdefghijklmnopqrstu"], "tokc2abcdefghijklmnopqrstu"],
    [["AKIATOKC3ABCDEFGHIJK"], "TOKC3ABCDEFGHIJK"],
    [
      ["eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ0b2tjNCJ9.c2lnbmF0dXJl"],
      "eyJzdWIiOiJ0b2tjNCJ9",
    ],
    [["--openai-api-key=sk-proj-tokc5abcdefghijkl"], "tokc5"],
  ];
  const kept = [
    "--tokenizer",
    "gpt2",
    "--max-tokens",
    "512",
    "--author",
    "me",
    "--lr=0.1",
  ];
  const args = [...secrets.flatMap(([a]) => a), ...kept];
  const child = spawnDeno(
    IMPORT_TRACKER +
      `const exp = new Experiment("argv", { git: false }); exp.track({ a: 1 }); exp.end();`,
    ["--allow-write=.exprag"],
    { cwd, args, name: "argv" },
  );
  assert.equal((await child.wait()).status.code, 0);
  const [file] = runFilesOf(join(cwd, ".exprag"));
  const text = Deno.readTextFileSync(file);
  const argv =
    (parseRunFile(file).records[0].value as { process: { argv: string[] } })
      .process.argv.slice(2);
  assert.deepEqual(argv.slice(-kept.length), kept, "non-secrets are kept");
  assert.equal(argv.length, args.length, "one entry per argument");
  const outputs = await Promise.all([
    cli(cwd, ["--allow-read=.exprag"], ["show", "latest"]),
    cli(cwd, ["--allow-read=.exprag"], ["show", "latest", "--json"]),
    cli(cwd, ["--allow-read=.exprag"], ["runs", "--json"]),
  ]);
  for (const [, secret] of secrets) {
    assert.ok(
      !text.includes(secret),
      `${secret} is in the run file: ${JSON.stringify(argv)}`,
    );
    for (const o of outputs) {
      assert.ok(
        !o.stdout.includes(secret) && !o.stderr.includes(secret),
        secret,
      );
    }
  }
  assert.ok(outputs[0].stdout.includes("[redacted]"));
  console.log(
    `security figures: ${secrets.length} secret-looking argv forms redacted`,
  );
});
