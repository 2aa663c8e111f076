// Storage faults: a full disk (a tiny tmpfs, as root), a read-only runs
// directory, the runs directory deleted mid-run, EXPRAG_DIR pointing at a
// file or a device, and the CLI writing its answer to /dev/full. Each gives
// a clear error naming the path; the records written before stay intact;
// the process's exit code is its own.
import assert from "node:assert/strict";
import { join } from "node:path";
import { listRuns } from "../mod.ts";
import { run, tempDir } from "./_helpers.ts";
import {
  argsFor,
  assertCleanStderr,
  cli,
  CLI_COMMANDS,
  exists,
  IMPORT_TRACKER,
  IS_ROOT,
  parseRunFile,
  runFilesOf,
  skipNotice,
  spawnDeno,
} from "./_faults.ts";

function sh(cmd: string, ...args: string[]): void {
  const out = new Deno.Command(cmd, { args, stdout: "null", stderr: "piped" })
    .outputSync();
  if (!out.success) {
    throw new Error(
      `${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`,
    );
  }
}

/** Mounts a tmpfs of `size` at `dir` for the duration of `fn` (root only). */
async function withTmpfs<T>(
  dir: string,
  size: string,
  fn: () => Promise<T>,
): Promise<T> {
  Deno.mkdirSync(dir, { recursive: true });
  sh("mount", "-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir);
  try {
    return await fn();
  } finally {
    sh("umount", "-l", dir);
  }
}

/** Whether this process may mount a tmpfs (root, and a sandbox that allows it). */
function canMount(): boolean {
  if (!IS_ROOT) return false;
  const dir = tempDir("exprag-mount-probe-");
  try {
    sh("mount", "-t", "tmpfs", "-o", "size=4k", "tmpfs", dir);
    sh("umount", "-l", dir);
    return true;
  } catch {
    return false;
  }
}

const CAN_MOUNT = canMount();

if (!CAN_MOUNT) {
  skipNotice(
    "faults_storage_test full-disk and read-only tmpfs cases",
    "need root and permission to mount a tmpfs (CI runs as root); the other storage cases still run",
  );
}

Deno.test({
  name:
    "full disk (tiny tmpfs): track() throws naming the file, earlier records intact, end() works once there is room",
  ignore: !CAN_MOUNT,
  async fn() {
    const exprag = join(tempDir("exprag-full-"), ".exprag");
    const runs = join(exprag, "runs");
    await withTmpfs(runs, "256k", async () => {
      // 64 KiB taken by someone else, given back later
      const filler = join(runs, "filler.bin");
      Deno.writeFileSync(filler, new Uint8Array(64 * 1024));
      const child = spawnDeno(
        IMPORT_TRACKER + `
const [filler, slack] = Deno.args;
const exp = new Experiment("full", { git: false });
let i = 0, err;
// 40 numeric paths: run_end's summary is larger than a page
const m = Object.fromEntries(Array.from({ length: 40 }, (_, k) => ["metric_" + k, k]));
try {
  for (; i < 1_000_000; i++) exp.track({ step: i, m, pad: "x".repeat(700) });
} catch (e) { err = e; }
console.log(JSON.stringify({ i, name: err?.name, message: err?.message, path: exp.path }));
// take the last bytes too, so that run_end cannot fit either
const f = Deno.openSync(slack, { write: true, create: true });
try { for (;;) f.writeSync(new Uint8Array(1)); } catch { /* full */ }
f.close();
try { exp.end(); console.log(JSON.stringify({ end: "ok" })); } catch (e) { console.log(JSON.stringify({ end: e.message })); }
Deno.removeSync(filler); // room again
Deno.removeSync(slack);
exp.end();
console.log(JSON.stringify({ end: "ok" }));
`,
        [`--allow-write=.exprag`],
        {
          cwd: join(exprag, ".."),
          args: [filler, join(runs, "slack.bin")],
          name: "full",
        },
      );
      const { status, stderr } = await child.wait();
      assert.equal(status.code, 0, stderr);
      assert.equal(stderr, "");
      const [first, second, third] = child.stdout.all.trim().split("\n").map(
        (l) => JSON.parse(l),
      );
      assert.equal(first.name, "Error");
      assert.ok(first.message.includes(first.path), "the error names the file");
      assert.match(first.message, /No space left on device/);
      assert.ok(first.i > 10, `${first.i} records fit`);
      assert.ok(second.end.includes(first.path), second.end);
      assert.match(second.end, /No space left on device/);
      assert.equal(third.end, "ok");
      const { records, torn } = parseRunFile(first.path);
      assert.equal(torn, null, "no torn line");
      assert.equal(
        records.length,
        first.i + 2,
        "every record before + run_end",
      );
      for (let k = 0; k < first.i; k++) {
        assert.equal((records[k + 1].value as { step: number }).step, k);
      }
      const end = records.at(-1)!;
      assert.equal(end.kind, "run_end");
      assert.equal((end.value as { track_count: number }).track_count, first.i);
      const [info] = await listRuns({ dir: exprag });
      assert.equal(info.status, "finished");
      assert.equal(info.records, first.i);
    });
  },
});

Deno.test({
  name:
    "full disk before the run starts: the constructor throws naming the file, no empty file left",
  ignore: !CAN_MOUNT,
  async fn() {
    const exprag = join(tempDir("exprag-full-"), ".exprag");
    const runs = join(exprag, "runs");
    await withTmpfs(runs, "64k", async () => {
      const f = Deno.openSync(join(runs, "filler.bin"), {
        write: true,
        create: true,
      });
      try {
        for (;;) f.writeSync(new Uint8Array(1024));
      } catch { /* full */ }
      f.close();
      const child = spawnDeno(
        IMPORT_TRACKER + `
try { new Experiment("full", { git: false }); } catch (e) { console.log(JSON.stringify({ name: e.name, message: e.message })); }
Deno.exitCode = 5;`,
        [`--allow-write=.exprag`],
        { cwd: join(exprag, ".."), name: "full-start" },
      );
      const { status, stderr } = await child.wait();
      assert.equal(status.code, 5, "the script's own exit code");
      assert.equal(stderr, "");
      const e = JSON.parse(child.stdout.all);
      assert.equal(e.name, "Error");
      assert.match(e.message, /No space left on device/);
      assert.ok(e.message.includes(runs + "/"), `names the file: ${e.message}`);
      assert.deepEqual(
        [...Deno.readDirSync(runs)].map((x) => x.name),
        ["filler.bin"],
        "no run file left behind",
      );
    });
  },
});

Deno.test("read-only runs directory: the constructor throws naming the file; other runs intact", async () => {
  const exprag = join(tempDir("exprag-ro-"), ".exprag");
  const runs = join(exprag, "runs");
  Deno.mkdirSync(runs, { recursive: true });
  // an earlier run, written while the directory was writable
  const first = spawnDeno(
    IMPORT_TRACKER +
      `const exp = new Experiment("before", { git: false }); exp.track({ a: 1 }); exp.end();`,
    ["--allow-write=.exprag"],
    { cwd: join(exprag, ".."), name: "ro-first" },
  );
  assert.equal((await first.wait()).status.code, 0);
  const [earlier] = runFilesOf(exprag);
  const earlierBytes = Deno.readFileSync(earlier);

  const attempt = async () => {
    const child = spawnDeno(
      IMPORT_TRACKER + `
try { new Experiment("ro", { git: false }); console.log("created"); }
catch (e) { console.log(JSON.stringify({ name: e.name, message: e.message })); }`,
      ["--allow-write=.exprag"],
      { cwd: join(exprag, ".."), name: "ro" },
    );
    const { status, stderr } = await child.wait();
    assert.equal(status.code, 0, stderr);
    return JSON.parse(child.stdout.all);
  };
  let e;
  if (IS_ROOT && !CAN_MOUNT) return; // root ignores permission bits and cannot mount: nothing to test
  if (IS_ROOT) {
    // root ignores permission bits: make it a read-only mount
    const ro = join(exprag, "..", "ro-runs");
    Deno.mkdirSync(ro);
    sh("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", ro);
    Deno.copyFileSync(earlier, join(ro, earlier.split("/").at(-1)!));
    sh("mount", "-o", "remount,ro", ro);
    Deno.removeSync(runs, { recursive: true });
    Deno.symlinkSync(ro, runs);
    try {
      e = await attempt();
      assert.match(e.message, /Read-only file system/);
    } finally {
      sh("umount", "-l", ro);
      Deno.removeSync(runs);
      Deno.mkdirSync(runs);
      Deno.writeFileSync(earlier, earlierBytes);
    }
  } else {
    Deno.chmodSync(runs, 0o555);
    try {
      e = await attempt();
      assert.match(e.message, /Permission denied/);
    } finally {
      Deno.chmodSync(runs, 0o755);
    }
  }
  assert.equal(e.name, "Error");
  assert.match(e.message, /^exprag: cannot create /);
  assert.ok(e.message.includes(runs + "/"), `names the file: ${e.message}`);
  assert.deepEqual(runFilesOf(exprag), [earlier], "nothing else written");
  assert.deepEqual(Deno.readFileSync(earlier), earlierBytes);
});

Deno.test("runs directory deleted mid-run: track() and end() throw naming the file; later runs work", async () => {
  const cwd = tempDir("exprag-deleted-");
  const go = join(tempDir("exprag-go-"), "go");
  const child = spawnDeno(
    IMPORT_TRACKER + `
const go = Deno.args[0];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const exp = new Experiment("deleted", { git: false });
for (let i = 0; i < 100; i++) exp.track({ i });
console.log(JSON.stringify({ path: exp.path }));
while (true) { try { Deno.statSync(go); break; } catch { await sleep(1); } }
let i = 100, err;
const t0 = performance.now();
try {
  while (performance.now() - t0 < 5000) { exp.track({ i }); i++; if (i % 20 === 0) await sleep(1); }
} catch (e) { err = e; }
console.log(JSON.stringify({ i, name: err?.name, message: err?.message }));
try { exp.track({ i }); console.log("{}"); } catch (e) { console.log(JSON.stringify({ again: e.message })); }
const exp2 = new Experiment("after", { git: false });
exp2.track({ ok: 1 });
exp2.end();
try { exp.end(); console.log("{}"); } catch (e) { console.log(JSON.stringify({ end: e.message })); }
`,
    ["--allow-write=.exprag", `--allow-read=${go}`],
    { cwd, args: [go], name: "deleted" },
  );
  const { path } = JSON.parse((await child.stdout.line())!);
  Deno.removeSync(join(cwd, ".exprag"), { recursive: true });
  Deno.writeTextFileSync(go, "");
  const { status, stderr, rest } = await child.wait();
  assert.equal(status.code, 0, "the exit code is the script's own");
  const [tracked, again, ended] = rest.map((l) => JSON.parse(l));
  assert.equal(
    tracked.name,
    "Error",
    `track() threw: ${JSON.stringify(tracked)}`,
  );
  assert.ok(tracked.message.includes(path), tracked.message);
  assert.match(tracked.message, /deleted/);
  assert.ok(again.again.includes(path), "every later track() throws too");
  assert.ok(ended.end.includes(path), "end() throws naming the file");
  // at exit the run still has no run_end: reported on stderr, one line
  assert.match(
    stderr,
    /^exprag: could not record the end of a run: .*deleted/,
  );
  assert.equal(stderr.trim().split("\n").length, 1, stderr);
  // a run started after the deletion recreated the directory and is whole
  const files = runFilesOf(join(cwd, ".exprag"));
  assert.equal(files.length, 1);
  assert.notEqual(files[0], path);
  const { records, torn } = parseRunFile(files[0]);
  assert.equal(torn, null);
  assert.deepEqual(records.map((r) => r.kind), [
    "run_start",
    "track",
    "run_end",
  ]);
});

Deno.test("EXPRAG_DIR (or dir) pointing at a file or a device: the tracker and every CLI command name the path", async () => {
  const cwd = tempDir("exprag-notdir-");
  const file = join(cwd, "a-file");
  Deno.writeTextFileSync(file, "not a directory\n");
  const runsIsFile = join(cwd, "runs-is-file");
  Deno.mkdirSync(runsIsFile);
  Deno.writeTextFileSync(join(runsIsFile, "runs"), "");
  const runsToFull = join(cwd, "runs-to-dev-full");
  Deno.mkdirSync(runsToFull);
  Deno.symlinkSync("/dev/full", join(runsToFull, "runs"));
  for (const dir of [file, "/dev/full", "/dev/null", runsIsFile, runsToFull]) {
    const child = spawnDeno(
      IMPORT_TRACKER + `
try { new Experiment("x", { git: false }); console.log("created"); }
catch (e) { console.log(JSON.stringify({ name: e.name, message: e.message })); }
try { new Experiment("y", { git: false, dir: Deno.env.get("EXPRAG_DIR") }); console.log("created"); }
catch (e) { console.log(JSON.stringify({ name: e.name, message: e.message })); }`,
      ["--allow-write", "--allow-env=EXPRAG_DIR"],
      { cwd, env: { EXPRAG_DIR: dir }, name: "notdir" },
    );
    const { status, stderr, rest } = await child.wait();
    assert.equal(status.code, 0, stderr);
    const errors = rest.map((l) => JSON.parse(l));
    assert.equal(errors.length, 2);
    for (const e of errors) {
      assert.equal(e.name, "Error", `${dir}: ${JSON.stringify(e)}`);
      assert.ok(
        e.message.includes(join(dir, "runs")),
        `${dir}: names the path: ${e.message}`,
      );
      assert.match(
        e.message,
        /Not a directory|File exists|Requires all access/,
      );
    }
    // the CLI, with EXPRAG_DIR and with --dir
    for (const cmd of CLI_COMMANDS) {
      for (
        const [env, extra] of [
          [{ EXPRAG_DIR: dir }, []],
          [{}, ["--dir", dir]],
        ] as const
      ) {
        const o = await cli(
          cwd,
          [`--allow-read`, "--allow-env=EXPRAG_DIR", "--allow-run=git"],
          [...argsFor(cmd), ...extra],
          env,
        );
        const what = `${dir}: ${cmd.args.join(" ")} ${extra.join(" ")}`;
        assert.equal(o.code, 1, `${what}: ${o.stdout} ${o.stderr}`);
        assertCleanStderr(o.stderr, [], what);
        const lines = o.stderr.trim().split("\n");
        assert.equal(lines.length, 1, `${what}: one line: ${o.stderr}`);
        assert.ok(
          lines[0].includes(dir),
          `${what}: names the path: ${lines[0]}`,
        );
      }
    }
  }
});

Deno.test("the CLI answering into a full disk (stdout is /dev/full): exit 1, one line naming stdout", async () => {
  const cwd = tempDir("exprag-devfull-");
  const child = spawnDeno(
    IMPORT_TRACKER + `
for (const name of ["a", "b"]) {
  const exp = new Experiment(name, { git: false, metadata: { name } });
  for (let i = 0; i < 3000; i++) exp.track({ i, metrics: { loss: 1 / (i + 1) } });
  exp.end();
}`,
    ["--allow-write=.exprag"],
    { cwd, name: "devfull" },
  );
  assert.equal((await child.wait()).status.code, 0);
  const cliPath = new URL("../cli.ts", import.meta.url).pathname;
  for (const cmd of [...CLI_COMMANDS, { args: ["skill"], git: false }]) {
    if (cmd.args[0] === "checkout") continue; // prints a line after changing the worktree
    const o = await run("bash", [
      "-c",
      `exec "$0" run --no-prompt --no-config --allow-read=.exprag --allow-run=git "$1" "\${@:2}" > /dev/full`,
      Deno.execPath(),
      cliPath,
      ...argsFor(cmd),
    ], { cwd });
    const what = `${cmd.args.join(" ")} > /dev/full`;
    if (cmd.git) {
      // not a repository: the error comes first, and is still one line
      assert.equal(o.code, 1, `${what}: ${o.stderr}`);
      assertCleanStderr(o.stderr, [], what);
      continue;
    }
    assert.equal(o.code, 1, `${what}: ${o.stderr}`);
    assertCleanStderr(o.stderr, [], what);
    assert.equal(
      o.stderr,
      "exprag: cannot write to stdout: No space left on device (os error 28)\n",
      what,
    );
  }
  // and with stderr full too: still exit 1, nothing hangs
  const o = await run("bash", [
    "-c",
    `exec "$0" run --no-prompt --no-config --allow-read=.exprag "$1" runs > /dev/full 2>/dev/full`,
    Deno.execPath(),
    cliPath,
  ], { cwd });
  assert.equal(o.code, 1);
  assert.ok(exists(join(cwd, ".exprag")));
});
