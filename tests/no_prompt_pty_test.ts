// Nothing ever prompts, with or without --no-prompt: every CLI command runs
// under a pseudo-terminal (script -qec, so Deno sees a TTY and WOULD prompt
// for a permission it lacks) WITHOUT --no-prompt, under exactly its
// documented minimal flags, against a directory holding a finished run, a
// dirty run with a snapshot and a real SIGKILLed run. A prompt shows either
// as Deno's prompt text in the output or as the command hanging past the
// timeout.
import { ok, strictEqual as equal } from "node:assert/strict";
import { join } from "node:path";
import { IMPORT_TRACKER, spawnUntil, tempDir } from "./_helpers.ts";
import { RUN_A as A, RUN_B as B, twoRunRepo } from "./_cli_fixtures.ts";
import { COMMANDS } from "../src/cli/command.ts";
import { type PtyCase as Case, underPty } from "./_pty.ts";
import { flagVariants } from "../src/cli/flags.ts";
import { flagFor } from "../src/permissions.ts";

/** A real tracker process killed with SIGKILL after its first record. */
async function killedRun(repo: string): Promise<void> {
  const script = join(tempDir("exprag-pty-script-"), "train.ts");
  Deno.writeTextFileSync(
    script,
    IMPORT_TRACKER +
      `using exp = new Experiment("killed");\n` +
      `exp.track({ step: 0, metrics: { acc: 0.2, loss: 2 } });\n` +
      `console.log("tracked");\nawait new Promise((r) => setTimeout(r, 120000));\n`,
  );
  const child = await spawnUntil(repo, script, {
    flags: ["--allow-write=.exprag", "--allow-read=.", "--allow-run=git"],
    marker: "tracked",
  });
  child.kill("SIGKILL");
  await child.stdout.cancel();
  equal((await child.status).signal, "SIGKILL");
}

function flagsOf(name: string): string[] {
  return flagVariants(COMMANDS.find((c) => c.name === name)!).base;
}

function cases(): Case[] {
  const read = (name: string, ...args: string[]): Case => ({
    name: [name, ...args].join(" "),
    flags: flagsOf(name),
    args: [name, ...args],
  });
  const write = ".claude/skills/exprag/SKILL.md";
  return [
    read("runs"),
    read("show", "latest"),
    read("show", A),
    read("paths"),
    read("values", "value.metrics.acc"),
    read("best", "value.metrics.acc"),
    read("compare", A, B),
    read("compare", B, "latest"),
    read("git"),
    read("checkout", A, "--worktree", join(tempDir("exprag-pty-wt-"), "a")),
    read("checkout", B, "--worktree", join(tempDir("exprag-pty-wt-"), "b")),
    read("diff", A, B, "--stat"),
    read("prune", "--status", "finished"),
    read("skill"),
    {
      name: "skill --write",
      flags: COMMANDS.find((c) => c.name === "skill")!
        .permissions({ dir: ".exprag", options: { write } }).map(flagFor),
      args: ["skill", "--write", write],
    },
    { name: "--help", flags: [], args: ["--help"] },
    { name: "runs --help", flags: [], args: ["runs", "--help"] },
    { name: "--version", flags: [], args: ["--version"] },
    { name: "-V", flags: [], args: ["-V"] },
  ];
}

async function check(cwd: string) {
  const failures: string[] = [];
  for (const c of cases()) {
    const o = await underPty(cwd, c);
    if (o.prompted) {
      failures.push(`${c.name} prompted or hung: ${o.text}`);
    } else if (o.code !== 0) {
      failures.push(`${c.name} failed (exit ${o.code}): ${o.text}`);
    }
  }
  equal(failures.length, 0, failures.join("\n"));
}

Deno.test("the pseudo-terminal harness sees Deno's prompt (a script reading without permission)", async () => {
  const script = join(tempDir("exprag-pty-self-"), "reads.ts");
  Deno.writeTextFileSync(script, `Deno.readTextFileSync("/etc/hostname");\n`);
  const o = await underPty(tempDir(), {
    name: "self",
    flags: [],
    args: [],
    script,
  });
  ok(o.prompted, o.text);
});

Deno.test("no command prompts under a pseudo-terminal without --no-prompt (finished and dirty-snapshot runs)", async () => {
  const { repo } = twoRunRepo();
  await check(repo);
});

Deno.test("no command prompts under a pseudo-terminal without --no-prompt with a SIGKILLed run present", async () => {
  const { repo } = twoRunRepo();
  await killedRun(repo);
  await check(repo);
});

Deno.test("every documented deno run / deno install line passes --no-prompt (README, SKILL.md, cli.ts's shebang, deno.json's tasks)", async () => {
  const { skillMarkdown } = await import("../src/cli/skill_md.ts");
  const texts: [string, string][] = [
    [
      "README.md",
      Deno.readTextFileSync(new URL("../README.md", import.meta.url)),
    ],
    ["SKILL.md", skillMarkdown()],
    ["cli.ts", Deno.readTextFileSync(new URL("../cli.ts", import.meta.url))],
    [
      "deno.json",
      Object.values(
        JSON.parse(
          Deno.readTextFileSync(new URL("../deno.json", import.meta.url)),
        ).tasks as Record<string, string>,
      ).join("\n"),
    ],
  ];
  let count = 0;
  for (const [name, text] of texts) {
    for (const m of text.matchAll(/deno (run|install)\b[^\n`]*/g)) {
      // a command line: "deno run" followed by flags or a script
      if (!/^deno (run|install) (-|<|\S+\.ts|jsr:)/.test(m[0])) continue;
      if (/deno run (of|empty)/.test(m[0])) continue;
      count++;
      ok(m[0].includes("--no-prompt"), `${name}: ${m[0]}`);
    }
  }
  ok(count >= 8, `only ${count} command lines found`);
  ok(
    texts[2][1].startsWith("#!/usr/bin/env -S deno run --no-prompt "),
    "cli.ts shebang",
  );
});
