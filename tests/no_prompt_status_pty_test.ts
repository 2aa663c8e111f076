// Nothing prompts on a terminal: the status path (a SIGKILLed run, whose
// status once read /proc) and the tracker under its documented least flags,
// each run under a pseudo-terminal (`script`) WITHOUT --no-prompt, so that a
// permission request would show Deno's prompt and hang.
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  git,
  hasCommand,
  IMPORT_TRACKER,
  makeRepo,
  ROOT,
  run,
  tempDir,
} from "./_helpers.ts";
import { spawnDeno } from "./_faults.ts";

const HAS_SCRIPT = hasCommand("script");

/** Single-quotes a word for the shell. */
function sh(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** Runs `deno run <flags> <file> <args>` under a pseudo-terminal, at most 30 s. */
async function underPty(
  cwd: string,
  flags: string[],
  file: string,
  args: string[] = [],
) {
  const cmd = [Deno.execPath(), "run", "--no-config", ...flags, file, ...args]
    .map(sh).join(" ");
  const out = await run("timeout", ["30", "script", "-qec", cmd, "/dev/null"], {
    cwd,
  });
  return { code: out.code, text: out.stdout + out.stderr };
}

function assertNoPrompt(r: { code: number; text: string }): void {
  assert.doesNotMatch(r.text, /Allow\?|Requested by|⚠️/, r.text);
  assert.notEqual(r.code, 124, `timed out (a prompt waiting?):\n${r.text}`);
}

Deno.test({
  name:
    "pty: `runs` with --allow-read=.exprag over a SIGKILLed run answers without a permission prompt",
  ignore: !HAS_SCRIPT,
  fn: async () => {
    const cwd = tempDir();
    // A real run, SIGKILLed mid-run: no run_end, lock released.
    const child = spawnDeno(
      IMPORT_TRACKER + `const exp = new Experiment("killed", { git: false });
exp.track({ loss: 1 });
console.log("ready");
setInterval(() => {}, 1000);`,
      ["--allow-write=.exprag", `--allow-read=${ROOT}`],
      { cwd },
    );
    assert.ok(await child.stdout.until((l) => l === "ready"), "ready");
    child.kill("SIGKILL");
    assert.equal((await child.wait()).status.signal, "SIGKILL");

    const r = await underPty(
      cwd,
      ["--allow-read=.exprag"],
      join(ROOT, "cli.ts"),
      ["runs"],
    );
    assertNoPrompt(r);
    assert.equal(r.code, 0, r.text);
    assert.match(r.text, /crashed/);
  },
});

Deno.test({
  name:
    "pty: new Experiment() under the documented least flags (write .exprag, read ., run git) never prompts",
  ignore: !HAS_SCRIPT,
  fn: async () => {
    const repo = makeRepo();
    Deno.writeTextFileSync(join(repo, "train.ts"), "// edited\n");
    const file = join(tempDir("exprag-scripts-"), "train.ts");
    Deno.writeTextFileSync(
      file,
      IMPORT_TRACKER +
        `const exp = new Experiment("pty", { metadata: { lr: 0.1 } });
exp.track({ loss: 1 });
exp.end();
console.log("done", exp.runId);`,
    );
    const r = await underPty(repo, [
      "--allow-write=.exprag",
      `--allow-read=.,${ROOT},${file}`,
      "--allow-run=git",
    ], file);
    assertNoPrompt(r);
    assert.equal(r.code, 0, r.text);
    assert.match(r.text, /done /);
    // the code state was captured (the snapshot branch exists)
    const id = /done (\S+)/.exec(r.text)![1];
    assert.match(git(repo, "branch", "--list", `run/${id}`), /run\//);
  },
});
