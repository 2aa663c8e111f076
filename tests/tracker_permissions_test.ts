// The tracker under least privilege, with real subprocesses and exact flags
// (always --no-prompt: a prompt attempt would fail these runs).
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  git,
  IMPORT_TRACKER,
  makeRepo,
  readJsonl,
  runFiles,
  runScript,
  tempDir,
} from "./_helpers.ts";

const SCRIPT = IMPORT_TRACKER +
  `const exp = new Experiment("perm", { metadata: { lr: 0.1 } });
exp.track({ step: 0, loss: 1 });
exp.track({ step: 1, loss: 0.5 });
console.log(exp.path);`;

type Value = Record<string, Record<string, unknown>>;

function onlyRun(cwd: string) {
  const files = runFiles(join(cwd, ".exprag"));
  assert.equal(files.length, 1);
  return readJsonl(files[0]);
}

/**
 * Runs SCRIPT in `repo` under `flags`: a clean exit, nothing on stderr but
 * `stderr` (default none), and one full run, whose records it returns.
 */
async function scriptRun(repo: string, flags: string[], stderr = "") {
  const out = await runScript(repo, SCRIPT, flags);
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stderr, stderr);
  const recs = onlyRun(repo);
  assert.deepEqual(recs.map((r) => r.kind), [
    "run_start",
    "track",
    "track",
    "run_end",
  ]);
  return recs;
}

Deno.test("--allow-write=.exprag --allow-read=. --allow-run=git records a full run with code state", async () => {
  const repo = makeRepo({ "model.ts": "export const lr = 0.1;\n" });
  Deno.writeTextFileSync(join(repo, "model.ts"), "export const lr = 0.2;\n");
  const recs = await scriptRun(repo, [
    "--allow-write=.exprag",
    "--allow-read=.",
    "--allow-run=git",
  ]);
  const v = recs[0].value as Value;
  assert.ok(v.git !== null, JSON.stringify(v.unavailable));
  assert.equal(v.git.dirty, true);
  assert.equal(v.git.head, git(repo, "rev-parse", "HEAD"));
  assert.ok(!("git" in v.unavailable), "git captured");
  assert.deepEqual(v.metadata, { lr: 0.1 });
  // Not granted, so recorded as unavailable with the flag to add.
  assert.match(String(v.unavailable["host.hostname"]), /--allow-sys=hostname/);
  assert.match(
    String(v.unavailable["host.os_release"]),
    /--allow-sys=osRelease/,
  );
  assert.match(String(v.unavailable["host.username"]), /--allow-env=USER/);
  assert.equal(v.process.pid !== null, true);
  assert.equal((recs[3].value as Record<string, unknown>).status, "finished");
});

Deno.test("with only --allow-write=.exprag the run is recorded with the reasons for what was skipped", async () => {
  const repo = makeRepo();
  // git cannot run: said once at run start (the reason is also recorded)
  const recs = await scriptRun(
    repo,
    ["--allow-write=.exprag"],
    "exprag: code state not captured: run permission for git not granted (--allow-run=git)\n",
  );
  const v = recs[0].value as Value;
  assert.equal(v.git, null);
  assert.match(String(v.unavailable.git), /--allow-run=git|--allow-read/);
  assert.equal(v.host.hostname, null);
  assert.match(String(v.unavailable["host.hostname"]), /--allow-sys=hostname/);
  assert.equal(v.host.os_release, null);
  assert.equal(v.host.username, null);
  if (Deno.build.os === "linux") {
    assert.equal(v.host.boot_id, null);
    assert.match(String(v.unavailable["host.boot_id"]), /--allow-all/);
    assert.equal(v.process.start_ticks, null);
    assert.match(String(v.unavailable["process.start_ticks"]), /--allow-all/);
  }
  // Always available without permissions.
  assert.equal(typeof v.process.pid, "number");
  assert.equal(v.process.cwd, repo);
  assert.equal(v.host.os, Deno.build.os);
  assert.equal(typeof v.runtime.deno, "string");
  // No snapshot branch was made.
  assert.equal(git(repo, "branch", "--list", "run/*"), "");
});

Deno.test("without write permission the constructor throws NotCapable naming --allow-write", async () => {
  const cwd = tempDir();
  const out = await runScript(
    cwd,
    IMPORT_TRACKER + `try { new Experiment("x", { git: false }); }
catch (e) { console.log(e.name + ": " + e.message); }`,
    ["--allow-read=."],
  );
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stdout, /^NotCapable: .*--allow-write=\.exprag/);
  assert.deepEqual(runFiles(join(cwd, ".exprag")), []);
});

Deno.test("EXPRAG_DIR is used only when --allow-env=EXPRAG_DIR is granted", async () => {
  const cwd = tempDir();
  const code = IMPORT_TRACKER +
    `const exp = new Experiment("x", { git: false }); console.log(exp.path);`;
  const env = { EXPRAG_DIR: "custom-dir" };
  const denied = await runScript(cwd, code, [
    "--allow-write=.exprag,custom-dir",
  ], { env });
  assert.equal(denied.code, 0, denied.stderr);
  assert.ok(denied.stdout.trim().startsWith(join(cwd, ".exprag", "runs")));
  const allowed = await runScript(
    cwd,
    code,
    ["--allow-write=custom-dir", "--allow-env=EXPRAG_DIR"],
    { env },
  );
  assert.equal(allowed.code, 0, allowed.stderr);
  assert.ok(allowed.stdout.trim().startsWith(join(cwd, "custom-dir", "runs")));
  assert.equal(runFiles(join(cwd, "custom-dir")).length, 1);
  // The dir option wins over EXPRAG_DIR.
  const option = await runScript(
    cwd,
    IMPORT_TRACKER +
      `const exp = new Experiment("x", { git: false, dir: "opt" }); console.log(exp.path);`,
    ["--allow-write=opt", "--allow-env=EXPRAG_DIR"],
    { env },
  );
  assert.equal(option.code, 0, option.stderr);
  assert.ok(option.stdout.trim().startsWith(join(cwd, "opt", "runs")));
});

Deno.test("git: false skips git even when it is allowed, and says so", async () => {
  const repo = makeRepo();
  const out = await runScript(
    repo,
    IMPORT_TRACKER + `new Experiment("x", { git: false }).end();`,
    ["--allow-write=.exprag", "--allow-read=.", "--allow-run=git"],
  );
  assert.equal(out.code, 0, out.stderr);
  const v = onlyRun(repo)[0].value as Value;
  assert.equal(v.git, null);
  assert.match(String(v.unavailable.git), /git: false/);
});
