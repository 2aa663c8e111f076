// Adversarial pass over push, pull and prune --remote, as a user's
// environment breaks them: a remote whose sync namespace holds refs exprag
// never pushes (a blob, an annotated tag, the code of a run that is not
// there, of a clean run, of another commit), a remote path with spaces and
// a file:// URL, askpass programs that editors and desktop sessions set
// (git asks them even with GIT_TERMINAL_PROMPT=0).
import {
  deepStrictEqual as deepEqual,
  match,
  ok,
  strictEqual as equal,
} from "node:assert/strict";
import { join } from "node:path";
import { git, tempDir } from "./_helpers.ts";
import { cli, writeDenoRun } from "./_cli_fixtures.ts";
import { trackedRun } from "./_git_fixtures.ts";
import { STALL_S } from "../src/git/remote.ts";
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

/** The local refs of a clone that pull may make (branches and exprag's fallback refs). */
function madeRefs(repo: string): string[] {
  return git(
    repo,
    "for-each-ref",
    "--format=%(refname) %(objectname)",
    "refs/heads",
    "refs/exprag/runs",
  ).split("\n").filter((l) => l !== "");
}

Deno.test("pull makes run/<id> only for the snapshot the run itself records: a foreign, mismatched or run-less code ref makes no ref (remote path with spaces, file:// URL)", async () => {
  const { remote, A, B } = world("remote with spaces.git");
  const main = git(A, "rev-parse", "HEAD");
  Deno.writeTextFileSync(join(A, "train.ts"), "const lr = 0.5;\n");
  const dirty = await trackedRun(A);
  Deno.writeTextFileSync(join(A, "train.ts"), "const lr = 0.7;\n");
  const other = await trackedRun(A);
  git(A, "checkout", "-q", "--", "train.ts");
  const clean = await trackedRun(A);
  equal(clean.g.dirty, false);
  const pushed = await cli(A, PUSH, ["push", "origin"]);
  equal(pushed.code, 0, pushed.stderr);
  equal(
    lastLine(pushed.stdout),
    "pushed 3 runs, 0 notes files, 2 code refs; 0 up to date; 0 conflicts",
  );

  // refs in exprag's namespace that no exprag push makes
  const noRun = "44444444-4444-4444-8444-444444444444";
  const tagged = "33333333-3333-4333-8333-333333333333";
  const blobbed = "22222222-2222-4222-8222-222222222222";
  const code = "refs/exprag/sync/code/";
  git(remote, "update-ref", `${code}${other.id}`, main); // not its snapshot
  git(remote, "update-ref", `${code}${clean.id}`, main); // a clean run
  git(remote, "update-ref", `${code}${noRun}`, main); // no such run
  git(remote, "tag", "-a", "-m", "t", "v1", main);
  git(remote, "update-ref", `${code}${tagged}`, git(remote, "rev-parse", "v1"));
  const blob = new Deno.Command("git", {
    args: ["hash-object", "-w", "--stdin"],
    cwd: remote,
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const w = blob.stdin.getWriter();
  await w.write(new TextEncoder().encode("not a commit\n"));
  await w.close();
  const blobSha = new TextDecoder().decode((await blob.output()).stdout).trim();
  git(remote, "update-ref", `${code}${blobbed}`, blobSha);
  ok(remoteRefs(remote).includes(`${code}${blobbed}`));

  const url = `file://${remote}`;
  const before = madeRefs(B);
  const dry = await cli(B, PULL, ["pull", url, "--dry-run"]);
  equal(dry.code, 1, dry.stderr);
  deepEqual(madeRefs(B), before);
  const expected = [
    `conflict code ref ${other.id}: the remote's code ref points at ${
      main.slice(0, 12)
    }, run ${other.id} records the snapshot ${
      String(other.g.commit).slice(0, 12)
    }; no ref made`,
    `skipped code ref ${clean.id}: run ${clean.id} records no snapshot; no ref made`,
    `skipped code ref ${noRun}: no run ${noRun} here; no ref made`,
    `skipped code ref ${tagged}: no run ${tagged} here; no ref made`,
    `skipped code ref ${blobbed}: no run ${blobbed} here; no ref made`,
  ];
  for (const line of expected) ok(dry.stdout.includes(line + "\n"), dry.stdout);
  match(dry.stdout, new RegExp(`^would pull code ref ${dirty.id}: `, "m"));

  for (const attempt of [1, 2]) {
    const o = await cli(B, PULL, ["pull", url]);
    equal(o.code, 1, o.stderr);
    for (const line of expected) ok(o.stdout.includes(line + "\n"), o.stdout);
    equal(
      lastLine(o.stdout),
      attempt === 1
        ? "pulled 3 runs, 0 notes files, 1 code ref; 0 up to date; 1 conflict; 4 skipped"
        : "nothing to pull; 4 up to date; 1 conflict; 4 skipped",
    );
  }
  // the only ref made is the dirty run's own snapshot branch
  deepEqual(madeRefs(B).sort(), [
    `refs/heads/main ${main}`,
    `refs/heads/run/${dirty.id} ${dirty.g.commit}`,
  ]);
});

/** An askpass program that records being asked, and an empty answer. */
function askpass(): { program: string; log: string } {
  const dir = tempDir("exprag-askpass-");
  const program = join(dir, "askpass.sh");
  const log = join(dir, "asked.log");
  Deno.writeTextFileSync(
    program,
    `#!/bin/sh\necho "asked: $*" >> '${log}'\nexit 1\n`,
  );
  Deno.chmodSync(program, 0o755);
  return { program, log };
}

function asked(log: string): string {
  try {
    return Deno.readTextFileSync(log);
  } catch {
    return "";
  }
}

Deno.test("push, pull and prune --remote never run an askpass program (GIT_ASKPASS, core.askPass, SSH_ASKPASS) and run ssh in batch mode", async () => {
  const { A } = world();
  await trackedRun(A);
  const { program, log } = askpass();
  const prune = ["prune", "--status", "finished", "--remote"];
  const cases = [
    ["push", PUSH, ["push"]],
    ["pull", PULL, ["pull"]],
    ["prune --remote", PUSH, prune],
  ] as const;
  await withAuthServer(async (url) => {
    for (const [name, flags, args] of cases) {
      const envs: Record<string, string>[] = [
        { GIT_ASKPASS: program },
        { SSH_ASKPASS: program, DISPLAY: ":0" },
        {
          GIT_CONFIG_COUNT: "1",
          GIT_CONFIG_KEY_0: "core.askPass",
          GIT_CONFIG_VALUE_0: program,
        },
      ];
      for (const e of envs) {
        const o = await cli(A, flags, [...args, url], e);
        equal(asked(log), "", `${name} with ${JSON.stringify(e)}`);
        match(o.stderr, /terminal prompts disabled/, name);
        equal(o.stderr.split("\n").filter((l) => l !== "").length, 1);
      }
    }
  });
  // ssh: a stand-in on PATH shows the options git gave it
  const bin = tempDir("exprag-fake-ssh-");
  const sshLog = join(bin, "ssh.log");
  Deno.writeTextFileSync(
    join(bin, "ssh"),
    `#!/bin/sh\necho "$*" >> '${sshLog}'\nexit 255\n`,
  );
  Deno.chmodSync(join(bin, "ssh"), 0o755);
  const env = { PATH: `${bin}:${Deno.env.get("PATH") ?? ""}` };
  for (const [name, flags, args] of cases) {
    Deno.writeTextFileSync(sshLog, "");
    const o = await cli(
      A,
      flags,
      [...args, "ssh://me@host.invalid/x.git"],
      env,
    );
    const calls = Deno.readTextFileSync(sshLog).split("\n").filter((l) =>
      l !== ""
    );
    ok(calls.length > 0, `${name}: ${o.stderr}`);
    for (const c of calls) match(c, /-o BatchMode=yes /, name);
  }
});

Deno.test("8 pushers at once from 3 clones holding different prefixes of one run, and runs of their own: the remote ends with the longest copy, every commit of its history extends the one before", async () => {
  const { remote, A, B, C } = world();
  Deno.mkdirSync(join(A, ".exprag", "runs"), { recursive: true });
  const id = writeDenoRun(join(A, ".exprag"), {
    name: "long",
    tracks: Array.from({ length: 300 }, (_, step) => ({ value: { step } })),
    end: "finished",
  });
  const file = runFile(A, id);
  const all = Deno.readTextFileSync(file).split("\n");
  for (const [m, n] of [[B, 50], [C, 150]] as const) {
    Deno.mkdirSync(join(m, ".exprag", "runs"), { recursive: true });
    Deno.writeTextFileSync(runFile(m, id), all.slice(0, n).join("\n") + "\n");
    await trackedRun(m); // a run of its own
  }
  // the shortest copies first, so that most pushes race a longer one
  const order = [B, C, A, B, C, A, B, C];
  const outs = await Promise.all(
    order.map((m) => cli(m, PUSH, ["push", "origin"])),
  );
  for (const o of outs) {
    equal(o.code, 0, o.stdout + o.stderr);
    match(lastLine(o.stdout), /; 0 conflicts$/);
  }
  deepEqual(
    remoteRefs(remote).filter((r) => r.startsWith("refs/exprag/sync/runs/"))
      .length,
    3,
  );
  const ref = `refs/exprag/sync/runs/${id}`;
  deepEqual(remoteBlob(remote, ref, id), bytes(file));
  const history = git(remote, "rev-list", "--reverse", ref).split("\n");
  let before: Uint8Array = new Uint8Array();
  for (const commit of history) {
    const now = remoteBlob(remote, commit, id);
    ok(now.length > before.length);
    deepEqual(now.subarray(0, before.length), before);
    before = now;
  }
});

/** The bytes of `<id>.jsonl` in a remote commit or ref. */
function remoteBlob(remote: string, rev: string, id: string): Uint8Array {
  const out = new Deno.Command("git", {
    args: ["cat-file", "blob", `${rev}:${id}.jsonl`],
    cwd: remote,
    stdout: "piped",
  }).outputSync();
  equal(out.code, 0);
  return out.stdout;
}

Deno.test("push never follows a symlinked notes file or notes directory (it could name any file the process may read): skipped, with the run named or not", async () => {
  const { remote, A } = world();
  const { id } = await trackedRun(A);
  const secret = join(tempDir("exprag-secret-"), "secret.jsonl");
  Deno.writeTextFileSync(secret, '{"token":"hunter2"}\n');
  Deno.mkdirSync(join(A, ".exprag", "notes"));
  Deno.symlinkSync(secret, join(A, ".exprag", "notes", `${id}.jsonl`));
  for (const args of [["push", "origin", id], ["push", "origin"]]) {
    const o = await cli(A, PUSH, args);
    equal(o.code, 0, o.stderr);
    ok(
      o.stdout.includes(
        `skipped notes file ${id}: not a regular file (links are never followed)\n`,
      ),
      o.stdout,
    );
  }
  // a linked notes directory: not read either
  const notes = join(A, ".exprag", "notes");
  Deno.removeSync(notes, { recursive: true });
  Deno.symlinkSync(join(secret, ".."), notes);
  Deno.renameSync(secret, join(secret, "..", `${id}.jsonl`));
  for (const args of [["push", "origin", id], ["push", "origin"]]) {
    const o = await cli(A, PUSH, args);
    equal(o.code, 0, o.stderr);
    ok(
      o.stdout.includes(
        "skipped notes file .exprag/notes: the notes directory is a symbolic link (links are never followed)\n",
      ),
      o.stdout,
    );
  }
  deepEqual(
    remoteRefs(remote).filter((r) => r.startsWith("refs/exprag/")),
    [`refs/exprag/sync/runs/${id}`],
  );
});

Deno.test("pull: a symlinked local notes file is a conflict of that file only; the other items are pulled and reported, the link's target untouched", async () => {
  const { A, B } = world();
  const NOTE = ["--allow-read=.exprag", "--allow-write=.exprag/notes"];
  const ids = [(await trackedRun(A)).id, (await trackedRun(A)).id].sort();
  for (const id of ids) {
    equal((await cli(A, NOTE, ["note", id, `about ${id}`])).code, 0);
  }
  equal((await cli(A, PUSH, ["push", "origin"])).code, 0);
  const target = join(tempDir("exprag-target-"), "target.jsonl");
  Deno.writeTextFileSync(target, "");
  Deno.mkdirSync(join(B, ".exprag", "notes"), { recursive: true });
  const link = join(".exprag", "notes", `${ids[0]}.jsonl`);
  Deno.symlinkSync(target, join(B, link));
  const conflict = `conflict notes file ${
    ids[0]
  }: ${link} is not a regular file; kept\n`;
  const dry = await cli(B, PULL, ["pull", "origin", "--dry-run"]);
  equal(dry.code, 1, dry.stderr);
  ok(dry.stdout.includes(conflict), dry.stdout);
  const o = await cli(B, PULL, ["pull", "origin"]);
  equal(o.code, 1, o.stderr);
  ok(o.stdout.includes(conflict), o.stdout);
  equal(
    lastLine(o.stdout),
    "pulled 2 runs, 1 notes file, 0 code refs; 0 up to date; 1 conflict",
  );
  equal(Deno.readTextFileSync(target), "");
  match(
    Deno.readTextFileSync(join(B, ".exprag", "notes", `${ids[1]}.jsonl`)),
    new RegExp(`about ${ids[1]}`),
  );
});

Deno.test("push and pull from a subdirectory of the repository (--dir ../.exprag) read the remote's files at the top of its trees", async () => {
  const { A, B } = world();
  const { id } = await trackedRun(A);
  equal((await cli(A, PUSH, ["push", "origin"])).code, 0);
  const flags = (m: string[]) =>
    m.map((f) => f.replace(".exprag", "../.exprag"));
  for (const m of [A, B]) Deno.mkdirSync(join(m, "src"));
  const [again, pulled] = await Promise.all(
    ([[A, PUSH, "push"], [B, PULL, "pull"]] as const).map(([m, f, cmd]) =>
      cli(join(m, "src"), flags(f), [cmd, "origin", "--dir", "../.exprag"])
    ),
  );
  equal(again.code, 0, again.stdout + again.stderr);
  equal(again.stdout, "nothing to push; 1 up to date; 0 conflicts\n");
  equal(pulled.code, 0, pulled.stdout + pulled.stderr);
  equal(
    lastLine(pulled.stdout),
    "pulled 1 run, 0 notes files, 0 code refs; 0 up to date; 0 conflicts",
  );
  deepEqual(bytes(runFile(B, id)), bytes(runFile(A, id)));
});

Deno.test("a password or token in a remote URL never shows in push, pull or prune --remote output (git's own messages leave it out too)", async () => {
  const { remote, A } = world();
  await trackedRun(A);
  const secret = "s3cret-token";
  await withAuthServer(async (url) => {
    const withToken = url.replace("http://", `http://user:${secret}@`);
    for (
      const [flags, args] of [
        [PUSH, ["push", withToken]],
        [PULL, ["pull", withToken]],
        [PUSH, ["prune", "--status", "finished", "--remote", withToken]],
      ] as const
    ) {
      const o = await cli(A, flags, [...args]);
      ok(!(o.stdout + o.stderr).includes(secret), o.stdout + o.stderr);
      ok(o.stderr.includes(url.replace(/\/runs\.git$/, "")), o.stderr);
    }
  });
  const o = await cli(A, PUSH, [
    "push",
    `file://user:${secret}@${remote}`,
    "--json",
  ]);
  equal(o.code, 0, o.stderr);
  equal(JSON.parse(o.stdout).remote, `file://${remote}`);
});

Deno.test("push and pull under CUDA/conda loader variables (LD_LIBRARY_PATH, an LD_* outside the known list) with only --allow-run=git; without it, the flag named in one line", async () => {
  const { A, B } = world();
  Deno.writeTextFileSync(join(A, "train.ts"), "const lr = 0.9;\n");
  const { id } = await trackedRun(A);
  const env = {
    LD_LIBRARY_PATH: "/usr/local/cuda/lib64",
    LD_BIND_NOW: "1",
    CONDA_PREFIX: "/opt/conda",
    CUDA_HOME: "/usr/local/cuda",
  };
  const pushed = await cli(A, PUSH, ["push", "origin"], env);
  equal(pushed.code, 0, pushed.stderr);
  equal(
    lastLine(pushed.stdout),
    "pushed 1 run, 0 notes files, 1 code ref; 0 up to date; 0 conflicts",
  );
  const pulled = await cli(B, PULL, ["pull", "origin"], env);
  equal(pulled.code, 0, pulled.stderr);
  match(pulled.stdout, new RegExp(`^pulled code ref ${id}: run/${id} → `, "m"));
  for (const [cmd, flags] of [["push", PUSH], ["pull", PULL]] as const) {
    const o = await cli(
      B,
      flags.filter((f) => f !== "--allow-run=git"),
      [cmd, "origin"],
      env,
    );
    equal(o.code, 1);
    equal(
      o.stderr,
      `exprag: ${cmd}: run permission for git not granted; add --allow-run=git\n`,
    );
  }
});

Deno.test("prune --remote never deletes a remote copy that has more than the local one (pulled while it ran, it looks crashed here) or that this clone has not seen", async () => {
  const { remote, A, B, C } = world();
  Deno.mkdirSync(join(A, ".exprag", "runs"), { recursive: true });
  const id = writeDenoRun(join(A, ".exprag"), {
    tracks: [{ value: { acc: 0.5 } }, { value: { acc: 0.9 } }],
    end: "finished",
  });
  const full = Deno.readTextFileSync(runFile(A, id));
  Deno.writeTextFileSync(
    runFile(A, id),
    full.split("\n").slice(0, 2).join("\n") + "\n",
  );
  equal((await cli(A, PUSH, ["push", "origin"])).code, 0);
  for (const m of [B, C]) {
    equal((await cli(m, PULL, ["pull", "origin"])).code, 0);
  }
  Deno.writeTextFileSync(runFile(A, id), full); // the run went on, and ended
  equal((await cli(A, PUSH, ["push", "origin"])).code, 0);
  const ref = `refs/exprag/sync/runs/${id}`;
  const finished = git(remote, "rev-parse", ref);
  // B has fetched the remote's refs (not its file); C has not
  git(
    B,
    "fetch",
    "-q",
    "origin",
    "+refs/exprag/sync/*:refs/exprag/remotes/origin/*",
  );
  for (
    const [m, reason] of [
      [B, "has more than this one"],
      [C, "is not known here"],
    ] as const
  ) {
    const listed = await cli(m, READ, ["runs", "--json"]);
    const [{ status }] = JSON.parse(listed.stdout);
    ok(status !== "finished", status);
    const o = await cli(m, PULL, [
      "prune",
      "--status",
      status,
      "--remote",
      "origin",
      "--yes",
      "--json",
    ]);
    equal(o.code, 0, o.stderr);
    const rows = JSON.parse(o.stdout).actions as {
      action: string;
      kind: string;
      reason: string | null;
    }[];
    deepEqual(
      rows.map((r) => [r.kind, r.action]),
      [["run_file", "removed"], ["remote_ref", "keep"]],
    );
    match(rows[1].reason!, new RegExp(reason));
    equal(git(remote, "rev-parse", ref), finished);
  }
  // pulled again, the complete copy is the one here: now it may go
  equal((await cli(C, PULL, ["pull", "origin"])).code, 0);
  const o = await pruneFinished(C);
  equal(o.code, 0, o.stderr);
  deepEqual(remoteRefs(remote).filter((r) => r.startsWith("refs/exprag/")), []);
});

Deno.test("push and prune --remote to a mirror remote with push.followTags: only exprag's refs move, never the user's tags", async () => {
  const { remote, A } = world();
  git(A, "tag", "-a", "-m", "release", "v1");
  git(A, "config", "remote.origin.mirror", "true");
  git(A, "config", "push.followTags", "true");
  Deno.writeTextFileSync(join(A, "train.ts"), "const lr = 0.4;\n");
  const { id } = await trackedRun(A);
  const pushed = await cli(A, PUSH, ["push", "origin"]);
  equal(pushed.code, 0, pushed.stderr);
  equal(
    lastLine(pushed.stdout),
    "pushed 1 run, 0 notes files, 1 code ref; 0 up to date; 0 conflicts",
  );
  const sync = (kind: string) => `refs/exprag/sync/${kind}/${id}`;
  deepEqual(remoteRefs(remote), [
    sync("code"),
    sync("runs"),
    "refs/heads/main",
  ]);
  const pruned = await pruneFinished(A);
  equal(pruned.code, 0, pruned.stdout + pruned.stderr);
  deepEqual(remoteRefs(remote), ["refs/heads/main"]);
});

/** `prune --status finished --remote origin --yes` in a clone, with pull's flags. */
function pruneFinished(repo: string) {
  return cli(repo, PULL, [
    "prune",
    "--status",
    "finished",
    "--remote",
    "origin",
    "--yes",
  ]);
}

Deno.test("prune --remote --yes with the remote unreachable removes nothing here (the runs would come back with pull, and no prune could select them again)", async () => {
  const { remote, A } = world();
  const { id } = await trackedRun(A);
  equal((await cli(A, PUSH, ["push", "origin"])).code, 0);
  git(A, "remote", "set-url", "origin", join(remote, "..", "gone.git"));
  const o = await pruneFinished(A);
  equal(o.code, 1, o.stdout);
  equal(o.stdout, "");
  match(
    o.stderr,
    /^exprag: --remote origin: git ls-remote failed: .*; nothing removed\n$/,
  );
  ok(Deno.statSync(runFile(A, id)).isFile);
  git(A, "remote", "set-url", "origin", remote);
  equal((await pruneFinished(A)).code, 0);
  deepEqual(remoteRefs(remote), ["refs/heads/main"]);
});

Deno.test("a server that accepts and then sends nothing: push, pull and prune --remote give up (git's low-speed limit, unless the user set one) instead of waiting forever", async () => {
  const { A } = world();
  await trackedRun(A);
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const c of listener) held.push(c);
  })();
  const url = `http://127.0.0.1:${listener.addr.port}/stalled.git`;
  const userLimit = {
    GIT_CONFIG_COUNT: "1",
    GIT_CONFIG_KEY_0: "http.lowSpeedTime",
    GIT_CONFIG_VALUE_0: "2",
  };
  try {
    const outs = await Promise.all([
      cli(A, PUSH, ["push", url]),
      cli(A, PULL, ["pull", url]),
      cli(A, PUSH, ["prune", "--status", "finished", "--remote", url]),
      cli(A, PUSH, ["push", url], userLimit),
    ]);
    for (const [i, o] of outs.entries()) {
      equal(o.code, 1, o.stdout);
      match(
        o.stderr,
        new RegExp(
          `^exprag: .*Operation too slow\\. Less than 1 bytes/sec transferred the last ${
            i === 3 ? 2 : STALL_S
          } seconds`,
        ),
      );
      equal(o.stderr.split("\n").filter((l) => l !== "").length, 1);
    }
  } finally {
    listener.close();
    for (const c of held) c.close();
    await accepting.catch(() => {});
  }
});

Deno.test("pull into a clone with a branch named run: the snapshot refs made at once cannot be branches, so each gets its fallback ref, in order", async () => {
  const { A, B } = world();
  const ids: string[] = [];
  const snaps: string[] = [];
  for (const lr of ["0.5", "0.7"]) {
    Deno.writeTextFileSync(join(A, "train.ts"), `const lr = ${lr};\n`);
    const r = await trackedRun(A);
    ids.push(r.id);
    snaps.push(r.g.commit as string);
  }
  equal((await cli(A, PUSH, ["push", "origin"])).code, 0);
  git(B, "branch", "run"); // refs/heads/run blocks refs/heads/run/<id>
  const o = await cli(B, PULL, ["pull", "origin", "--json"]);
  equal(o.code, 0, o.stderr);
  const code = (JSON.parse(o.stdout).actions as {
    kind: string;
    id: string;
    action: string;
    detail: string;
  }[]).filter((a) => a.kind === "code");
  const sorted = ids.map((id, i) => ({ id, snap: snaps[i] })).sort((a, b) =>
    a.id < b.id ? -1 : 1
  );
  deepEqual(
    code.map((a) => [a.id, a.action, a.detail]),
    sorted.map((s) => [
      s.id,
      "pulled",
      `refs/exprag/runs/${s.id} → ${s.snap.slice(0, 12)}`,
    ]),
  );
  for (const s of sorted) {
    equal(git(B, "rev-parse", `refs/exprag/runs/${s.id}`), s.snap);
  }
  // and a second pull finds them
  const again = await cli(B, PULL, ["pull", "origin"]);
  equal(again.code, 0, again.stderr);
  ok(lastLine(again.stdout).startsWith("nothing to pull;"), again.stdout);
});
