// exprag push / pull through a real bare remote and three clones standing
// for three machines (A, B, C), with runs recorded by the real tracker:
// B answers about A's runs as A does, checkout/diff/cat work on B, nothing
// recorded is ever overwritten, a second pull moves nothing, and git never
// prompts.
import {
  deepStrictEqual as deepEqual,
  match,
  ok,
  strictEqual as equal,
} from "node:assert/strict";
import { basename, join } from "node:path";
import {
  denoRunArgs,
  git,
  IMPORT_TRACKER,
  runFiles,
  runScript,
  tempDir,
} from "./_helpers.ts";
import { cli, writeDenoRun, writePythonRun } from "./_cli_fixtures.ts";
import {
  bytes,
  lastLine,
  PULL,
  PUSH,
  READ,
  remoteRefs,
  runFile,
  withAuthServer,
  world,
} from "./_sync_fixtures.ts";
import { G, TRACK, trackedRun } from "./_git_fixtures.ts";
import { underPty } from "./_pty.ts";

/** The blob of a run (or notes) file on the remote. */
function remoteBlob(remote: string, kind: string, id: string): Uint8Array {
  const out = new Deno.Command("git", {
    args: ["cat-file", "blob", `refs/exprag/sync/${kind}/${id}:${id}.jsonl`],
    cwd: remote,
    stdout: "piped",
  }).outputSync();
  equal(out.code, 0);
  return out.stdout;
}

Deno.test("push and pull move a dirty run, its notes and its snapshot; B answers as A does, checkout/diff/cat work on B, a second pull moves nothing", async () => {
  const { remote, A, B } = world();
  Deno.writeTextFileSync(join(A, "train.ts"), "const lr = 0.5; // edited\n");
  const { id } = await trackedRun(A);
  const noted = await cli(A, [
    "--allow-read=.exprag",
    "--allow-write=.exprag/notes",
  ], ["note", id, "lr too high"]);
  equal(noted.code, 0, noted.stderr);

  const dry = await cli(A, PUSH, ["push", "origin", "--dry-run"]);
  equal(dry.code, 0, dry.stderr);
  equal(
    lastLine(dry.stdout),
    "would push 1 run, 1 notes file, 1 code ref; 0 up to date; 0 conflicts",
  );
  deepEqual(remoteRefs(remote), ["refs/heads/main"]);

  const pushed = await cli(A, PUSH, ["push", "origin"]);
  equal(pushed.code, 0, pushed.stderr);
  equal(
    lastLine(pushed.stdout),
    "pushed 1 run, 1 notes file, 1 code ref; 0 up to date; 0 conflicts",
  );
  deepEqual(remoteRefs(remote), [
    `refs/exprag/sync/code/${id}`,
    `refs/exprag/sync/notes/${id}`,
    `refs/exprag/sync/runs/${id}`,
    "refs/heads/main",
  ]);
  // the remote's branch list holds no run
  equal(git(remote, "branch", "-a"), "* main");
  deepEqual(remoteBlob(remote, "runs", id), bytes(runFile(A, id)));

  // a dry run on B writes nothing
  const dryPull = await cli(B, PULL, ["pull", "origin", "--dry-run"]);
  equal(dryPull.code, 0, dryPull.stderr);
  equal(
    lastLine(dryPull.stdout),
    "would pull 1 run, 1 notes file, 1 code ref; 0 up to date; 0 conflicts",
  );
  equal(runFiles(join(B, ".exprag")).length, 0);

  const pulled = await cli(B, PULL, ["pull", "origin"]);
  equal(pulled.code, 0, pulled.stderr);
  equal(
    lastLine(pulled.stdout),
    "pulled 1 run, 1 notes file, 1 code ref; 0 up to date; 0 conflicts",
  );
  deepEqual(bytes(runFile(B, id)), bytes(runFile(A, id)));
  deepEqual(
    bytes(join(B, ".exprag", "notes", `${id}.jsonl`)),
    bytes(join(A, ".exprag", "notes", `${id}.jsonl`)),
  );
  // the new exprag directory is ignored by git, as the tracker makes it
  equal(Deno.readTextFileSync(join(B, ".exprag", ".gitignore")), "*\n");
  equal(git(B, "status", "--porcelain"), "");

  // every question gets A's answer on B
  for (
    const args of [
      ["runs", "--json"],
      ["show", id, "--json"],
      ["best", "value.step", "--json"],
      ["git", "--json"],
      ["values", "value.step", "--json"],
    ]
  ) {
    const a = await cli(A, READ, args), b = await cli(B, READ, args);
    equal(b.code, 0, b.stderr);
    equal(b.stdout, a.stdout, args.join(" "));
  }
  const cat = await cli(B, G, ["cat", id, "train.ts"]);
  equal(cat.code, 0, cat.stderr);
  equal(cat.stdout, "const lr = 0.5; // edited\n");
  const diff = await cli(B, G, ["diff", id, "--stat"]);
  equal(diff.code, 0, diff.stderr);
  match(diff.stdout, /train\.ts/);
  const wt = join(tempDir("exprag-sync-wt-"), "wt");
  const co = await cli(B, G, ["checkout", id, "--worktree", wt]);
  equal(co.code, 0, co.stderr);
  equal(
    Deno.readTextFileSync(join(wt, "train.ts")),
    "const lr = 0.5; // edited\n",
  );

  // branches on B: the run's own run/<id> only, beside the user's
  deepEqual(
    git(B, "for-each-ref", "--format=%(refname)", "refs/heads").split("\n"),
    ["refs/heads/main", `refs/heads/run/${id}`],
  );
  ok(!git(B, "branch", "-a").includes("exprag"));

  // idempotent, both ways
  const again = await cli(B, PULL, ["pull", "origin"]);
  equal(again.code, 0, again.stderr);
  equal(again.stdout, "nothing to pull; 3 up to date; 0 conflicts\n");
  const pushAgain = await cli(A, PUSH, ["push", "origin"]);
  equal(pushAgain.stdout, "nothing to push; 3 up to date; 0 conflicts\n");
});

Deno.test("8 concurrent pushers of different runs lose nothing; concurrent notes from two machines end as their union", async () => {
  const { remote, A, B, C } = world();
  const made = await runScript(
    A,
    IMPORT_TRACKER +
      `for (let i = 0; i < 8; i++) {
  using exp = new Experiment("seed" + i, { metadata: { seed: i } });
  exp.track({ acc: i / 10 });
}
`,
    TRACK,
  );
  equal(made.code, 0, made.stderr);
  const ids = runFiles(join(A, ".exprag")).map((f) => basename(f, ".jsonl"));
  equal(ids.length, 8);
  const outs = await Promise.all(
    ids.map((id) => cli(A, PUSH, ["push", "origin", id])),
  );
  for (const o of outs) {
    equal(o.code, 0, o.stderr);
    equal(
      lastLine(o.stdout),
      "pushed 1 run, 0 notes files, 0 code refs; 0 up to date; 0 conflicts",
    );
  }
  for (const id of ids) {
    deepEqual(remoteBlob(remote, "runs", id), bytes(runFile(A, id)));
  }

  // C and B take them all; then A and C write notes about the same run and
  // push at once: the remote keeps both
  for (const m of [B, C]) {
    const o = await cli(m, PULL, ["pull", "origin"]);
    equal(o.code, 0, o.stderr);
    equal(
      lastLine(o.stdout),
      "pulled 8 runs, 0 notes files, 0 code refs; 0 up to date; 0 conflicts",
    );
  }
  const best = ["best", "value.acc", "--json"];
  equal((await cli(C, READ, best)).stdout, (await cli(A, READ, best)).stdout);
  const NOTE = ["--allow-read=.exprag", "--allow-write=.exprag/notes"];
  for (const [m, text] of [[A, "from A"], [C, "from C"], [B, "from B"]]) {
    equal((await cli(m, NOTE, ["note", ids[0], text])).code, 0);
  }
  const both = await Promise.all(
    [A, B, C].map((m) => cli(m, PUSH, ["push", "origin"])),
  );
  for (const o of both) equal(o.code, 0, o.stdout + o.stderr);
  const texts = (m: Uint8Array) =>
    new TextDecoder().decode(m).split("\n").filter((l) => l !== "").map((l) =>
      JSON.parse(l).text
    ).sort();
  deepEqual(texts(remoteBlob(remote, "notes", ids[0])), [
    "from A",
    "from B",
    "from C",
  ]);
  for (const m of [A, B, C]) {
    equal((await cli(m, PULL, ["pull", "origin"])).code, 0);
    deepEqual(texts(bytes(join(m, ".exprag", "notes", `${ids[0]}.jsonl`))), [
      "from A",
      "from B",
      "from C",
    ]);
  }
  const show = await cli(C, READ, ["show", ids[0], "--json"]);
  equal(JSON.parse(show.stdout).run.notes.length, 3);
});

/** Reads a child's stdout until `pattern` shows; returns what was read. */
async function readUntil(
  child: Deno.ChildProcess,
  pattern: RegExp,
): Promise<string> {
  const reader = child.stdout.getReader();
  let seen = "";
  while (!pattern.test(seen)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the child ended before ${pattern}`);
    seen += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  return seen;
}

/** Starts a tracker run that records one value, then waits for stdin to record more and end. */
async function liveRun(
  repo: string,
): Promise<{ child: Deno.ChildProcess; id: string }> {
  const script = join(tempDir("exprag-sync-live-"), "live.ts");
  Deno.writeTextFileSync(
    script,
    IMPORT_TRACKER + `const exp = new Experiment("live");
exp.track({ step: 0, loss: 1 });
console.log("READY " + exp.runId);
for await (const _ of Deno.stdin.readable) break;
for (let i = 1; i < 5; i++) exp.track({ step: i, loss: 1 / (i + 1) });
exp.end();
`,
  );
  const child = new Deno.Command(Deno.execPath(), {
    args: denoRunArgs(TRACK, script),
    cwd: repo,
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const seen = await readUntil(child, /READY (\S+)\n/);
  return { child, id: /READY (\S+)\n/.exec(seen)![1] };
}

/** Holds an exclusive lock on a file, as a live tracker does, until killed. */
async function holdLock(file: string): Promise<Deno.ChildProcess> {
  const script = join(tempDir("exprag-sync-lock-"), "lock.ts");
  Deno.writeTextFileSync(
    script,
    `const f = Deno.openSync(${
      JSON.stringify(file)
    }, { read: true, write: true });
f.lockSync(true);
console.log("LOCKED");
setInterval(() => {}, 1000);
`,
  );
  const child = new Deno.Command(Deno.execPath(), {
    args: denoRunArgs(
      [`--allow-read=${file}`, `--allow-write=${file}`],
      script,
    ),
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  await readUntil(child, /LOCKED/);
  return child;
}

Deno.test("a run pushed while running, then again after it ends: the remote copy is only ever extended, and pull replaces a grown copy unless a live process holds it", async () => {
  const { remote, A, B } = world();
  const { child, id } = await liveRun(A);
  const ref = `refs/exprag/sync/runs/${id}`;
  const first = await cli(A, PUSH, ["push", "origin"]);
  equal(first.code, 0, first.stderr);
  match(first.stdout, new RegExp(`^pushed run ${id}: new, \\d+ bytes$`, "m"));
  const sha1 = git(remote, "rev-parse", ref);
  const partial = remoteBlob(remote, "runs", id);

  const p1 = await cli(B, PULL, ["pull", "origin"]);
  equal(p1.code, 0, p1.stderr);
  deepEqual(bytes(runFile(B, id)), partial);

  // the run goes on and ends on A
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode("go\n"));
  await w.close();
  await child.stdout.cancel();
  equal((await child.status).code, 0);
  const second = await cli(A, PUSH, ["push", "origin"]);
  equal(second.code, 0, second.stderr);
  match(second.stdout, new RegExp(`^pushed run ${id}: extended, `, "m"));
  equal(git(remote, "rev-parse", `${ref}^`), sha1); // a fast-forward
  deepEqual(remoteBlob(remote, "runs", id), bytes(runFile(A, id)));

  // on B a live process holds the old copy: kept, said so
  const holder = await holdLock(runFile(B, id));
  try {
    const held = await cli(B, PULL, ["pull", "origin"]);
    equal(held.code, 1, held.stderr);
    match(
      held.stdout,
      new RegExp(`^conflict run ${id}: .*held by a live tracker here`, "m"),
    );
    deepEqual(bytes(runFile(B, id)), partial);
  } finally {
    holder.kill();
    await holder.stdout.cancel();
    await holder.status;
  }
  const grown = await cli(B, PULL, ["pull", "origin"]);
  equal(grown.code, 0, grown.stderr);
  match(
    grown.stdout,
    new RegExp(`^pulled run ${id}: grown, \\d+ bytes more$`, "m"),
  );
  deepEqual(bytes(runFile(B, id)), bytes(runFile(A, id)));
  const show = await cli(B, READ, ["show", id, "--json"]);
  equal(JSON.parse(show.stdout).run.status, "finished");
  equal(
    (await cli(B, PULL, ["pull", "origin"])).stdout,
    "nothing to pull; 1 up to date; 0 conflicts\n",
  );
});

Deno.test("a diverged copy is a conflict both ways: push leaves the remote as it is, pull keeps the local file", async () => {
  const { remote, A, C } = world();
  const { id } = await trackedRun(A);
  equal((await cli(A, PUSH, ["push", "origin"])).code, 0);
  const before = git(remote, "rev-parse", `refs/exprag/sync/runs/${id}`);
  // C holds a file of the same id with other content
  const theirs = Deno.readTextFileSync(runFile(A, id));
  const mine = theirs.replace('"step":0', '"step":7');
  ok(mine !== theirs);
  Deno.mkdirSync(join(C, ".exprag", "runs"), { recursive: true });
  Deno.writeTextFileSync(runFile(C, id), mine);

  const push = await cli(C, PUSH, ["push", "origin"]);
  equal(push.code, 1, push.stderr);
  match(
    push.stdout,
    new RegExp(`^conflict run ${id}: the remote's copy is not a prefix`, "m"),
  );
  equal(lastLine(push.stdout), "nothing to push; 0 up to date; 1 conflict");
  equal(git(remote, "rev-parse", `refs/exprag/sync/runs/${id}`), before);

  const pull = await cli(C, PULL, ["pull", "origin"]);
  equal(pull.code, 1, pull.stderr);
  match(
    pull.stdout,
    new RegExp(`^conflict run ${id}: .* differs from the remote's copy`, "m"),
  );
  equal(Deno.readTextFileSync(runFile(C, id)), mine);
  // no temporary file is left behind
  deepEqual(
    [...Deno.readDirSync(join(C, ".exprag", "runs"))].map((e) => e.name),
    [`${id}.jsonl`],
  );
});

Deno.test("a Python exprag run file travels unchanged, to a remote given as a path", async () => {
  const { remote, A, B } = world();
  Deno.mkdirSync(join(A, ".exprag", "runs"), { recursive: true });
  const id = writePythonRun(join(A, ".exprag"), {
    tracks: [{ value: { acc: 0.5 } }, { value: { acc: 0.7 } }],
  });
  const o = await cli(A, PUSH, [
    "push",
    remote,
    "--warn-size",
    "100",
    "--json",
  ]);
  equal(o.code, 0, o.stderr);
  match(
    o.stderr,
    new RegExp(
      `^exprag: warning: \\S*${id}\\.jsonl is 0\\.0 MiB \\(over --warn-size 100\\)`,
    ),
  );
  const report = JSON.parse(o.stdout);
  deepEqual(
    report.actions.map((
      a: { kind: string; action: string },
    ) => [a.kind, a.action]),
    [["runs", "pushed"]],
  );
  equal(report.summary.runs, 1);
  const p = await cli(B, PULL, ["pull", remote]);
  equal(p.code, 0, p.stderr);
  deepEqual(bytes(runFile(B, id)), bytes(runFile(A, id)));
  const args = ["runs", "--json"];
  equal((await cli(B, READ, args)).stdout, (await cli(A, READ, args)).stdout);
});

Deno.test("a run another host left without run_end is unknown after pull, with the host named", async () => {
  const { A, B } = world();
  Deno.mkdirSync(join(A, ".exprag", "runs"), { recursive: true });
  const id = writeDenoRun(join(A, ".exprag"), {
    tracks: [{ value: { acc: 0.5 } }],
  });
  equal((await cli(A, PUSH, ["push", "origin"])).code, 0);
  equal((await cli(B, PULL, ["pull", "origin"])).code, 0);
  const o = await cli(B, [...READ, "--allow-sys=hostname"], [
    "runs",
    "--json",
  ]);
  equal(o.code, 0, o.stderr);
  const [run] = JSON.parse(o.stdout);
  equal(run.id, id);
  equal(run.status, "unknown");
  match(run.status_reason, /written on host deno-host-elsewhere/);
});

Deno.test("push and pull never wait for a credential prompt: git's error in one line; without --allow-run=git, the flag named", async () => {
  const { A } = world();
  await trackedRun(A);
  await withAuthServer(async (url) => {
    for (const [cmd, flags] of [["push", PUSH], ["pull", PULL]] as const) {
      const o = await cli(A, flags, [cmd, url]);
      equal(o.code, 1, o.stdout);
      const lines = o.stderr.split("\n").filter((l) => l !== "");
      equal(lines.length, 1, o.stderr);
      match(
        lines[0],
        /^exprag: git (ls-remote|fetch) .* terminal prompts disabled/,
      );
    }
  });
  const ssh = await cli(A, PUSH, ["push", "ssh://nobody@127.0.0.1:1/x.git"]);
  equal(ssh.code, 1);
  match(
    ssh.stderr,
    /^exprag: git ls-remote ssh:\/\/nobody@127\.0\.0\.1:1\/x\.git failed: /,
  );
  equal(ssh.stderr.split("\n").filter((l) => l !== "").length, 1);

  const denied = await cli(A, ["--allow-read=.exprag"], ["push", "origin"]);
  equal(denied.code, 1);
  equal(
    denied.stderr,
    "exprag: push: run permission for git not granted; add --allow-run=git\n",
  );
  const noWrite = await cli(A, PUSH, ["pull", "origin"]);
  equal(noWrite.code, 1);
  equal(
    noWrite.stderr,
    "exprag: pull: write permission for .exprag not granted; add --allow-write=.exprag\n",
  );
});

Deno.test("under a terminal, git's credential prompt stays off unless --prompt is given", async () => {
  const { A } = world();
  await trackedRun(A);
  await withAuthServer(async (url) => {
    // a HOME without credential helpers or stored credentials
    const env = {
      HOME: tempDir("exprag-sync-home-"),
      GIT_CONFIG_NOSYSTEM: "1",
    };
    for (const [cmd, flags] of [["push", PUSH], ["pull", PULL]] as const) {
      const o = await underPty(A, { name: cmd, flags, args: [cmd, url], env });
      ok(!o.prompted, o.text);
      equal(o.code, 1, o.text);
      match(o.text, /terminal prompts disabled/);
    }
    // the same under --prompt: git asks (the harness kills it there)
    const asked = await underPty(A, {
      name: "push --prompt",
      flags: PUSH,
      args: ["push", url, "--prompt"],
      env,
    });
    ok(asked.prompted, asked.text);
    match(asked.text, /Username for '/);
  });
});

Deno.test("concurrent pulls into one clone write each run, note and branch once", async () => {
  const { A, B } = world();
  Deno.writeTextFileSync(join(A, "train.ts"), "const lr = 0.3;\n");
  const { id } = await trackedRun(A);
  const NOTE = ["--allow-read=.exprag", "--allow-write=.exprag/notes"];
  equal((await cli(A, NOTE, ["note", id, "one note"])).code, 0);
  equal((await cli(A, PUSH, ["push", "origin"])).code, 0);
  const outs = await Promise.all(
    [0, 1, 2].map(() => cli(B, PULL, ["pull", "origin", "--json"])),
  );
  const moved = { runs: 0, notes: 0, code: 0 };
  for (const o of outs) {
    equal(o.code, 0, o.stderr);
    const { summary } = JSON.parse(o.stdout);
    equal(summary.conflicts, 0);
    moved.runs += summary.runs;
    moved.notes += summary.notes;
    moved.code += summary.code;
  }
  deepEqual(moved, { runs: 1, notes: 1, code: 1 });
  deepEqual(bytes(runFile(B, id)), bytes(runFile(A, id)));
  deepEqual(
    bytes(join(B, ".exprag", "notes", `${id}.jsonl`)),
    bytes(join(A, ".exprag", "notes", `${id}.jsonl`)),
  );
  deepEqual(
    [...Deno.readDirSync(join(B, ".exprag", "runs"))].map((e) => e.name),
    [`${id}.jsonl`],
  );
});
