// Code state in real environments (issue 9): LD_*/DYLD_* variables, file
// names that are not UTF-8, skip-worktree/assume-unchanged files, relative
// GIT_DIR/GIT_WORK_TREE, a clean filter that hangs, git missing from PATH.
// Real repositories, a real `deno run` of a training script under the
// documented flags.
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  git,
  makeRepo,
  MOD_URL,
  readJsonl,
  run,
  runFiles,
  runScript,
  tempDir,
} from "./_helpers.ts";

const DOCUMENTED = [
  "--allow-write=.exprag",
  "--allow-read=.",
  "--allow-run=git",
];
const dec = new TextDecoder();
const enc = new TextEncoder();

interface Start {
  run_id: string;
  value: {
    git: {
      commit: string | null;
      branch: string | null;
      dirty: boolean;
      head: string | null;
      mode: string;
      status: string;
    } | null;
    unavailable: Record<string, string>;
  };
}

function script(options = "{}"): string {
  return `import { Experiment } from ${JSON.stringify(MOD_URL)};
const exp = new Experiment("env", ${options});
exp.track({ step: 1 });
exp.end();
`;
}

/** Runs a training script from `cwd`; returns its run_start and all its records. */
async function train(
  cwd: string,
  o: {
    flags?: string[];
    env?: Record<string, string>;
    options?: string;
    exprag?: string;
  } = {},
): Promise<
  { start: Start; records: Record<string, unknown>[]; stderr: string }
> {
  const out = await runScript(cwd, script(o.options), o.flags ?? DOCUMENTED, {
    env: o.env,
  });
  assert.equal(out.code, 0, out.stderr);
  const files = runFiles(o.exprag ?? join(cwd, ".exprag"));
  assert.equal(files.length, 1, "one run file");
  const records = readJsonl(files[0]);
  return { start: records[0] as unknown as Start, records, stderr: out.stderr };
}

/** Raw git output (bytes). */
function gitRaw(cwd: string, ...args: string[]): Uint8Array {
  const out = new Deno.Command("git", {
    args,
    cwd,
    stdout: "piped",
    stderr: "piped",
  })
    .outputSync();
  if (!out.success) {
    throw new Error(`git ${args.join(" ")}: ${dec.decode(out.stderr)}`);
  }
  return out.stdout;
}

/** A commit's files as `path bytes (hex) → content`, names kept as bytes. */
function treeOf(repo: string, rev: string): Map<string, string> {
  const out = new Map<string, string>();
  const ls = gitRaw(repo, "ls-tree", "-r", "-z", "--full-tree", rev);
  let start = 0;
  for (let i = 0; i < ls.length; i++) {
    if (ls[i] !== 0) continue;
    const e = ls.subarray(start, i);
    start = i + 1;
    const tab = e.indexOf(9);
    const oid = dec.decode(e.subarray(0, tab)).split(" ")[2];
    out.set(
      hexName(e.subarray(tab + 1)),
      dec.decode(gitRaw(repo, "cat-file", "blob", oid)),
    );
  }
  return out;
}

function hexName(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/** The snapshot of a run: recorded on its own branch, parent HEAD. */
function assertSnapshot(repo: string, start: Start): string {
  const g = start.value.git!;
  assert.equal(g.dirty, true, "dirty");
  assert.equal(g.mode, "snapshot", JSON.stringify(start.value.unavailable));
  assert.equal(g.branch, `run/${start.run_id}`);
  assert.equal(
    git(repo, "rev-parse", `refs/heads/run/${start.run_id}`),
    g.commit,
  );
  return g.commit!;
}

Deno.test("LD_*/DYLD_* variables set (CUDA, conda): the snapshot is taken under the documented flags", async () => {
  const repo = makeRepo({ "train.ts": "const lr = 0.1;\n" });
  Deno.writeTextFileSync(join(repo, "train.ts"), "const lr = 0.03;\n");
  const env = {
    LD_LIBRARY_PATH: "/usr/local/cuda/lib64",
    LD_PRELOAD: "",
    LD_BIND_NOW: "1",
    DYLD_LIBRARY_PATH: "/opt/conda/lib",
    ld_audit_lowercase: "x",
  };
  const { start } = await train(repo, { env });
  assert.equal(
    start.value.unavailable.git,
    undefined,
    JSON.stringify(start.value.unavailable),
  );
  const commit = assertSnapshot(repo, start);
  assert.equal(git(repo, "show", `${commit}:train.ts`), "const lr = 0.03;");
  // a second run; the CLI's git calls (diff) work in the same environment
  Deno.writeTextFileSync(join(repo, "train.ts"), "const lr = 0.01;\n");
  const second = await runScript(repo, script(), DOCUMENTED, { env });
  assert.equal(second.code, 0, second.stderr);
  const cli = new URL("../cli.ts", import.meta.url).href;
  const o = await run(Deno.execPath(), [
    "run",
    "--no-prompt",
    "--no-config",
    "--allow-read=.exprag",
    "--allow-run=git",
    cli,
    "diff",
    "latest~1",
    "latest",
  ], { cwd: repo, env });
  assert.equal(o.code, 0, o.stderr);
  assert.match(o.stdout, /-const lr = 0\.03;\n\+const lr = 0\.01;/);
});

Deno.test("file names that are not UTF-8: an edited, a new and a deleted one are exact in the snapshot", async () => {
  const repo = makeRepo({ "a.txt": "a\n" });
  const sh = (cmd: string) => {
    const o = new Deno.Command("bash", { args: ["-c", cmd], cwd: repo })
      .outputSync();
    assert.ok(o.success, dec.decode(o.stderr));
  };
  sh(
    `printf 'old\\n' > $'edit-\\xff.txt'; printf 'gone\\n' > $'del-\\xfe.txt'`,
  );
  git(repo, "add", "-A");
  git(repo, "commit", "-q", "-m", "latin-1 names");
  sh(
    `printf 'new content\\n' > $'edit-\\xff.txt'; rm $'del-\\xfe.txt'; printf 'fresh\\n' > $'new-\\xfd\\x80.txt'`,
  );
  const { start } = await train(repo);
  const commit = assertSnapshot(repo, start);
  const name = (s: string, ...b: number[]) =>
    hexName(new Uint8Array([...enc.encode(s), ...b, ...enc.encode(".txt")]));
  assert.deepEqual(
    treeOf(repo, commit),
    new Map([
      [hexName(enc.encode("a.txt")), "a\n"],
      [name("edit-", 0xff), "new content\n"],
      [name("new-", 0xfd, 0x80), "fresh\n"],
    ]),
  );
  // status shows the names C-quoted as git does
  assert.match(start.value.git!.status, /^ M "edit-\\377\.txt"$/m);
  assert.match(start.value.git!.status, /^ D "del-\\376\.txt"$/m);
  assert.match(start.value.git!.status, /^\?\? "new-\\375\\200\.txt"$/m);
});

Deno.test("skip-worktree and assume-unchanged files: their worktree edits are in the snapshot; a sparse (absent) one is kept", async () => {
  const repo = makeRepo({
    "config.json": '{"lr": 0.1}\n',
    "hparams.yaml": "lr: 0.1\n",
    "sparse.txt": "not checked out\n",
    "gone.txt": "deleted under assume-unchanged\n",
    "main.ts": "main\n",
  });
  git(repo, "update-index", "--skip-worktree", "config.json", "sparse.txt");
  git(repo, "update-index", "--assume-unchanged", "hparams.yaml", "gone.txt");
  const flagsBefore = git(repo, "ls-files", "-v");
  Deno.writeTextFileSync(join(repo, "config.json"), '{"lr": 0.03}\n');
  Deno.writeTextFileSync(join(repo, "hparams.yaml"), "lr: 0.03\n");
  Deno.removeSync(join(repo, "sparse.txt"));
  Deno.removeSync(join(repo, "gone.txt"));
  assert.equal(git(repo, "status", "--porcelain"), "", "git status hides them");
  const { start } = await train(repo);
  const commit = assertSnapshot(repo, start);
  assert.equal(git(repo, "show", `${commit}:config.json`), '{"lr": 0.03}');
  assert.equal(git(repo, "show", `${commit}:hparams.yaml`), "lr: 0.03");
  assert.equal(git(repo, "show", `${commit}:sparse.txt`), "not checked out");
  assert.equal(git(repo, "ls-tree", "--name-only", commit, "gone.txt"), "");
  assert.match(start.value.git!.status, /^ M config\.json$/m);
  assert.match(start.value.git!.status, /^ M hparams\.yaml$/m);
  assert.match(start.value.git!.status, /^ D gone\.txt$/m);
  assert.equal(
    git(repo, "ls-files", "-v"),
    flagsBefore,
    "the user's flags unchanged",
  );
  // index version 4 (feature.manyFiles) is read as well
  const v4 = makeRepo({ "cfg.ini": "a=1\n", "dir/x.txt": "x\n" });
  git(v4, "update-index", "--index-version", "4");
  git(v4, "update-index", "--skip-worktree", "dir/x.txt");
  Deno.writeTextFileSync(join(v4, "dir/x.txt"), "edited\n");
  const r4 = await train(v4, { options: '{ git: "state" }' });
  assert.equal(r4.start.value.git!.dirty, true);
  assert.equal(r4.start.value.git!.status, " M dir/x.txt\n");
});

Deno.test("relative GIT_DIR and GIT_WORK_TREE, run from a subdirectory: captured where git works", async () => {
  const root = tempDir("exprag-gitdir-");
  const work = join(root, "work");
  Deno.mkdirSync(join(work, "sub"), { recursive: true });
  git(
    root,
    "--git-dir=store.git",
    "--work-tree=work",
    "init",
    "-q",
    "-b",
    "main",
  );
  Deno.writeTextFileSync(join(work, "sub/model.ts"), "v1\n");
  git(root, "--git-dir=store.git", "--work-tree=work", "add", "-A");
  git(
    root,
    "--git-dir=store.git",
    "--work-tree=work",
    "commit",
    "-q",
    "-m",
    "one",
  );
  Deno.writeTextFileSync(join(work, "sub/model.ts"), "v2\n");
  const env = { GIT_DIR: "../../store.git", GIT_WORK_TREE: ".." };
  const cwd = join(work, "sub");
  const { start } = await train(cwd, {
    env,
    flags: ["--allow-write=.exprag", "--allow-read=..", "--allow-run=git"],
  });
  assert.equal(
    start.value.unavailable.git,
    undefined,
    JSON.stringify(start.value.unavailable),
  );
  const g = start.value.git!;
  assert.equal(g.dirty, true);
  assert.equal(g.mode, "snapshot", JSON.stringify(start.value.unavailable));
  const show = (rev: string) =>
    dec.decode(gitRaw(root, "--git-dir=store.git", "show", rev)).trim();
  assert.equal(show(`refs/heads/run/${start.run_id}:sub/model.ts`), "v2");
  assert.equal(show(`${g.head}:sub/model.ts`), "v1");
});

/** A repository whose `*.bin` clean filter hangs (20 s), with `data.bin` edited to `text`. */
function hangingFilterRepo(text: string): string {
  const repo = makeRepo({
    "data.bin": "raw\n",
    ".gitattributes": "*.bin filter=hang\n",
  });
  git(repo, "config", "filter.hang.clean", "sleep 20; cat");
  Deno.writeTextFileSync(join(repo, "data.bin"), text);
  return repo;
}

Deno.test("a clean filter that hangs: past snapshotTimeoutMs the run records mode state with the reason and trains on", async () => {
  const repo = hangingFilterRepo("raw, edited\n");
  const t0 = performance.now();
  const { start, records } = await train(repo, {
    options: "{ snapshotTimeoutMs: 1500 }",
  });
  const took = performance.now() - t0;
  assert.ok(took < 15_000, `took ${took} ms`);
  const g = start.value.git!;
  assert.equal(g.mode, "state");
  assert.equal(g.dirty, true);
  assert.equal(g.commit, g.head);
  assert.match(
    start.value.unavailable["git.snapshot"],
    /timed out after 1500 ms/,
  );
  assert.equal(records.length, 3, "track and run_end written");
  assert.equal(
    (records[2] as { kind?: string; type?: string }).type ?? records[2].kind,
    "run_end",
  );
  assert.equal(
    git(repo, "for-each-ref", "refs/heads/run/"),
    "",
    "no snapshot ref",
  );
  assert.deepEqual(
    [...Deno.readDirSync(join(repo, ".exprag"))].map((e) => e.name).filter((
      n,
    ) => n.endsWith(".tmp") || n.endsWith(".lock")),
    [],
    "temporary files removed",
  );
  // an edit of the same size: status itself must run the filter to compare
  const same = hangingFilterRepo("RAW\n");
  const t1 = performance.now();
  const r = await train(same, { options: "{ snapshotTimeoutMs: 1500 }" });
  assert.ok(performance.now() - t1 < 15_000);
  assert.equal(r.start.value.git!.mode, "state");
  assert.equal(r.start.value.git!.dirty, true, "unknown is recorded as dirty");
  assert.equal(r.start.value.git!.head, git(same, "rev-parse", "HEAD"));
  assert.match(
    r.start.value.unavailable["git.snapshot"],
    /^status not read: git status timed out after 1500 ms/,
  );
  await assert.rejects(
    runScript(repo, script("{ snapshotTimeoutMs: -1 }"), DOCUMENTED).then(
      (o) => {
        if (o.code !== 0) throw new Error(o.stderr);
      },
    ),
    /snapshotTimeoutMs must be a positive number/,
  );
});

Deno.test("git not on PATH is told apart from --allow-run=git not granted, under the documented flags", async () => {
  const repo = makeRepo({ "a.txt": "a\n" });
  const noGit = tempDir("exprag-nogit-");
  let r = await train(repo, { env: { PATH: noGit } });
  assert.equal(r.start.value.git, null);
  assert.equal(r.start.value.unavailable.git, "git not found on PATH");
  const other = makeRepo({ "a.txt": "a\n" });
  r = await train(other, {
    flags: ["--allow-write=.exprag", "--allow-read=."],
  });
  assert.equal(
    r.start.value.unavailable.git,
    "run permission for git not granted (--allow-run=git)",
  );
});

Deno.test("exec: git missing is a GitNotFoundError; not granted is its own reason; both never prompt", async () => {
  const code = `import { execGit, gitUnavailableReason } from ${
    JSON.stringify(new URL("../src/git/exec.ts", import.meta.url).href)
  };
import { GitNotFoundError } from ${
    JSON.stringify(new URL("../src/errors.ts", import.meta.url).href)
  };
let thrown = "none";
try { execGit(["--version"]); } catch (e) { thrown = e instanceof GitNotFoundError ? "GitNotFoundError" : String(e); }
console.log(JSON.stringify({ reason: gitUnavailableReason(), thrown }));
`;
  const dir = tempDir("exprag-exec-");
  const noGit = tempDir("exprag-nogit-");
  const out = async (flags: string[], env?: Record<string, string>) => {
    const o = await runScript(dir, code, flags, { env });
    assert.equal(o.code, 0, o.stderr);
    return JSON.parse(o.stdout);
  };
  assert.deepEqual(await out(["--allow-run"], { PATH: noGit }), {
    reason: null,
    thrown: "GitNotFoundError",
  });
  assert.equal(
    (await out(["--allow-run=git"], { PATH: noGit })).reason,
    "git not found on PATH",
  );
  assert.equal(
    (await out([])).reason,
    "run permission for git not granted (--allow-run=git)",
  );
});
