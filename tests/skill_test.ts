// SKILL.md against the parser: every `exprag <command> ...` it shows parses
// with the same definitions the CLI uses, every command and flag of the
// definitions appears in it, and every recipe answers its question in at
// most three calls that really work on a fixture repository.
import {
  deepStrictEqual,
  match,
  ok,
  strictEqual as equal,
} from "node:assert/strict";
import { join } from "node:path";
import { COMMANDS, GLOBAL_OPTIONS } from "../src/cli/command.ts";
import { flagVariants } from "../src/cli/flags.ts";
import { checkPositionals, parseArgs } from "../src/cli/parse.ts";
import {
  PLACEHOLDERS,
  RECIPES,
  SKILL_DESCRIPTION,
  skillMarkdown,
} from "../src/cli/skill_md.ts";
import { commitAll, git, tempDir } from "./_helpers.ts";
import {
  cli,
  makeExprag,
  tableObjects,
  writeDenoRun,
  writePythonRun,
  writeRepoRun,
} from "./_cli_fixtures.ts";

const md = skillMarkdown();

/** Splits a command line like a POSIX shell would (quotes, no expansion). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let cur = "";
  let quote: string | null = null;
  let has = false;
  for (const ch of line) {
    if (quote) {
      if (ch === quote) quote = null;
      else cur += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      has = true;
    } else if (/\s/.test(ch)) {
      if (has || cur) words.push(cur);
      cur = "";
      has = false;
    } else cur += ch;
  }
  if (has || cur) words.push(cur);
  return words;
}

/** Every command line shown in SKILL.md: code spans and code block lines starting with `exprag `. */
function invocations(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/`(exprag [^`]+)`/g)) out.push(m[1]);
  for (const block of text.matchAll(/```sh\n([\s\S]*?)```/g)) {
    for (const line of block[1].split("\n")) {
      if (line.startsWith("exprag ")) out.push(line.replace(/\s+#.*$/, ""));
    }
  }
  // synopses (`exprag runs [--since WHEN] ...`) and the `<command>` placeholder are not invocations
  return out.filter((l) => !l.includes("[") && !/^exprag </.test(l));
}

Deno.test("skill: frontmatter with name and description", () => {
  const m = /^---\nname: exprag\ndescription: (.+)\n---\n/.exec(md);
  ok(m, md.slice(0, 200));
  // a double-quoted YAML scalar: valid YAML even though the text holds ": "
  const description = JSON.parse(m[1]);
  equal(description, SKILL_DESCRIPTION);
  ok(description.length > 50 && description.length <= 1024);
  ok(
    md.includes(
      "deno run --no-prompt --allow-read=.exprag jsr:@exprag/cli <command>",
    ),
  );
});

Deno.test("skill: every `exprag <command> ...` in SKILL.md parses with the CLI's definitions", () => {
  const lines = invocations(md);
  ok(lines.length >= 30, `only ${lines.length} invocations found`);
  for (const line of lines) {
    const words = shellWords(line);
    equal(words[0], "exprag");
    const parsed = parseArgs(words.slice(1)); // throws UsageError on an unknown command or flag
    ok(parsed.command, line);
    if (words.length > 2) checkPositionals(parsed); // `exprag values` alone is a mention in prose
  }
});

Deno.test("skill: every --flag in SKILL.md exists, and every command and flag of the parser is in SKILL.md", () => {
  const known = new Set([
    ...GLOBAL_OPTIONS.map((o) => `--${o.name}`),
    ...COMMANDS.flatMap((c) => c.options.map((o) => `--${o.name}`)),
    "--allow-read",
    "--allow-write",
    "--allow-run",
    "--allow-env",
    "--no-prompt",
  ]);
  for (const m of md.matchAll(/(?<![\w-])--[a-z][a-z-]*/g)) {
    ok(known.has(m[0]), `SKILL.md mentions unknown flag ${m[0]}`);
  }
  const shown = invocations(md).map(shellWords);
  for (const c of COMMANDS) {
    ok(shown.some((w) => w[1] === c.name), `no example of exprag ${c.name}`);
    const section = md.split(`### exprag ${c.name}\n`)[1]?.split("\n### ")[0] ??
      "";
    ok(section !== "", `no section for ${c.name}`);
    for (const o of c.options) {
      ok(
        section.includes(`--${o.name}`),
        `${c.name} --${o.name} not documented`,
      );
    }
    const { base } = flagVariants(c);
    for (const f of base) {
      ok(section.includes(f), `${c.name}: permission ${f} not documented`);
    }
  }
  for (const o of GLOBAL_OPTIONS) {
    ok(
      md.includes(`\`--${o.name}`) || md.includes(`--${o.name}\``),
      `global --${o.name}`,
    );
  }
});

Deno.test("skill: a recipe for each seed question, each in at most three calls", () => {
  const questions = RECIPES.map((r) => r.question);
  for (
    const topic of [
      /best validation accuracy/,
      /latest two runs.*what changed/,
      /best run.*code.*why it won/,
      /code state from the run with the lowest loss/,
      /learning rates .*accurac.* above 90%/,
      /metric history for the run where batch size was 32/,
      /last two weeks/,
      /git diff between the two latest runs/,
      /best run against the latest run/,
      /Check out the exact code for run/,
      /Write a conclusion back/,
      /with my current checkout/,
      /train\.ts as that run ran it/,
    ]
  ) {
    ok(questions.some((q) => topic.test(q)), `no recipe for ${topic}`);
  }
  for (const r of RECIPES) {
    ok(r.steps.length >= 1 && r.steps.length <= 3, r.question);
    ok(md.includes(`### "${r.question}"`));
    for (const s of r.steps) ok(md.includes(`\`${s.cmd}\``), s.cmd);
  }
});

Deno.test("skill: every recipe runs on a real repository under the documented minimal flags", async () => {
  // the repo one level down, so that `--worktree ../x` stays inside our temp dir
  const repo = join(tempDir("exprag-skill-"), "repo");
  Deno.mkdirSync(repo);
  git(repo, "init", "-q", "-b", "main");
  Deno.writeTextFileSync(join(repo, "train.ts"), "const lr = 0.1;\n");
  Deno.writeTextFileSync(join(repo, ".gitignore"), ".exprag/\n");
  commitAll(repo, "init");
  const dir = makeExprag(repo);
  const tracks = (lr: number) =>
    Array.from({ length: 4 }, (_, step) => ({
      value: {
        step,
        metrics: {
          loss: lr / (step + 1),
          acc: 0.8 + step * lr,
          val_acc: 0.75 + step * lr,
          val_loss: 2 * lr / (step + 1),
        },
      },
      note: "metrics after each step",
    }));
  const old = writePythonRun(dir, {
    daysAgo: 30,
    metadata: { hparams: { learning_rate: 0.01, batch_size: 64 } },
    tracks: tracks(0.01),
  });
  const best = crypto.randomUUID();
  writeRepoRun(repo, {
    dir,
    id: best,
    daysAgo: 5,
    metadata: { hparams: { learning_rate: 0.05, batch_size: 32 } },
    tracks: tracks(0.05),
  });
  Deno.writeTextFileSync(join(repo, "train.ts"), "const lr = 0.02;\n");
  const latest = crypto.randomUUID();
  writeRepoRun(repo, {
    dir,
    id: latest,
    daysAgo: 1,
    metadata: { hparams: { learning_rate: 0.02, batch_size: 16 } },
    tracks: tracks(0.02),
  });
  // the in-place restore (the last recipe) needs a clean worktree
  commitAll(repo, "lr 0.02");
  const failed = writeDenoRun(dir, {
    daysAgo: 20,
    name: "diverging",
    end: "failed",
    tracks: [{ value: { step: 0, metrics: { loss: 3 } } }],
  });
  const ids: Record<string, string> = {
    BEST_ID: best,
    SECOND_ID: latest,
    RUN_ID: best,
  };
  deepStrictEqual(Object.keys(ids).sort(), [...PLACEHOLDERS].sort());
  for (const r of RECIPES) {
    for (const s of r.steps) {
      const words = shellWords(s.cmd).slice(1).map((w) => ids[w] ?? w);
      const cmd = COMMANDS.find((c) => c.name === words[0])!;
      const o = await cli(repo, flagVariants(cmd).base, words);
      equal(o.code, 0, `${r.question}: ${s.cmd}: ${o.stderr}`);
      ok(o.stdout.trim() !== "", `${s.cmd} printed nothing`);
      // at most one `exprag: note:` line (e.g. the runs best left out)
      ok(/^(exprag: note: [^\n]*\n)?$/.test(o.stderr), `${s.cmd}: ${o.stderr}`);
    }
  }
  // spot-check answers: best validation accuracy, the batch-size-32 run, lr above 90%
  const bestOut = await cli(repo, ["--allow-read=.exprag"], [
    "best",
    "value.metrics.val_acc",
    "--max",
    "--json",
  ]);
  equal(JSON.parse(bestOut.stdout).rows[0].run.id, best);
  const bs = await cli(repo, ["--allow-read=.exprag"], [
    "runs",
    "--where",
    "metadata.hparams.batch_size",
    "=",
    "32",
    "--json",
  ]);
  deepStrictEqual(JSON.parse(bs.stdout).map((x: { id: string }) => x.id), [
    best,
  ]);
  const lr = await cli(repo, ["--allow-read=.exprag"], [
    "runs",
    "--where",
    "value.metrics.acc > 0.9",
    "--json",
  ]);
  deepStrictEqual(
    JSON.parse(lr.stdout).map((
      x: { metadata: { hparams: { learning_rate: number } } },
    ) => x.metadata.hparams.learning_rate),
    [0.05],
  );
  match(
    (await cli(repo, ["--allow-read=.exprag"], [
      "runs",
      "--since",
      "2w",
      "--json",
    ])).stdout,
    new RegExp(latest),
  );
  ok(
    !(await cli(repo, ["--allow-read=.exprag"], ["runs", "--since", "2w"]))
      .stdout.includes(old),
  );
  // which runs failed and why: the failed run with its error message
  const failures = tableObjects(
    (await cli(repo, ["--allow-read=.exprag"], [
      "runs",
      "--where",
      "status",
      "!=",
      "finished",
      "--columns",
      "id,name,status,status_reason,started",
    ])).stdout,
  );
  const f = failures.find((r) => r.id === failed)!;
  deepStrictEqual([f.name, f.status], ["diverging", "failed"]);
  match(f.status_reason, /boom/);
  ok(!failures.some((r) => r.id === best || r.id === latest));
  // the lowest loss: ranked by the path named, which the output states
  const low = JSON.parse(
    (await cli(repo, ["--allow-read=.exprag"], [
      "best",
      "value.metrics.val_loss",
      "--min",
      "--json",
    ])).stdout,
  );
  equal(low.path, "value.metrics.val_loss");
  equal(low.rows[0].run.id, latest); // 2 * 0.02 / 4 among the finished runs
  // the in-place restore ran last: HEAD is the run's commit, detached
  equal(git(repo, "rev-parse", "HEAD"), git(repo, "rev-parse", "main~1"));
  // the restored code of the lowest-loss run
  equal(
    Deno.readTextFileSync(join(repo, "..", "exprag-best", "train.ts")),
    "const lr = 0.1;\n",
  );
});

Deno.test("skill: each recipe takes at most two calls; failures, ambiguous losses, in-place restores and worktrees' ignored files are covered", () => {
  for (const r of RECIPES) ok(r.steps.length <= 2, r.question);
  const questions = RECIPES.map((r) => r.question);
  for (
    const topic of [
      /failed or crashed, and why/,
      /lowest loss/,
      /in place, in my own checkout/,
    ]
  ) {
    ok(questions.some((q) => topic.test(q)), `no recipe for ${topic}`);
  }
  const failures = RECIPES.find((r) => /failed or crashed/.test(r.question))!;
  match(failures.steps[0].cmd, /--where status != finished/);
  match(failures.steps[0].cmd, /status_reason/);
  const loss = RECIPES.find((r) => /lowest loss\?/.test(r.question))!;
  match(loss.steps[0].cmd, /^exprag paths .*--contains loss/);
  match(loss.answer, /which path/);
  // the last recipe checks out in place (it moves HEAD)
  match(RECIPES.at(-1)!.steps.at(-1)!.cmd, /^exprag checkout RUN_ID$/);
  match(md, /copy or symlink/i);
  match(md, /never move them/);
  match(md, /`snapshot_ref`/);
});

Deno.test("skill: printing needs no permission; --json wraps it", async () => {
  const cwd = tempDir("exprag-skill-print-");
  const o = await cli(cwd, [], ["skill"]);
  equal(o.code, 0, o.stderr);
  equal(o.stdout, md);
  const j = await cli(cwd, [], ["skill", "--json"]);
  equal(JSON.parse(j.stdout).skill, md);
});
