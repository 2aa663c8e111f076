/**
 * SKILL.md for coding agents, generated from the command definitions (the
 * same ones the parser uses), so the skill can never describe a command or
 * flag the CLI lacks.
 *
 * @module
 */

import { COMMANDS, GLOBAL_OPTIONS } from "./command.ts";
import { documentedFlags } from "./flags.ts";
import { optionSynopsis, usageLine } from "./help.ts";
import { PLACEHOLDERS, RECIPES } from "./skill_recipes.ts";

export {
  PLACEHOLDERS,
  type Recipe,
  RECIPES,
  type RecipeStep,
} from "./skill_recipes.ts";

/** The description in SKILL.md's frontmatter. */
export const SKILL_DESCRIPTION =
  "Answers questions about past experiment runs recorded by exprag in .exprag/runs/*.jsonl: which run is best by a metric, what changed between runs, metric histories, which hyperparameters gave which results, runs in a time window, the exact code of any run (diff against another run or the current checkout, one file with cat, checkout into a worktree), and conclusions written back about runs (note, tag). Use it whenever the user asks about experiments, runs, metrics or the code a result came from.";

/** The front matter, how to call the CLI, and the flags of each command. */
function introSection(L: string[]): void {
  L.push(
    "---",
    "name: exprag",
    // a double-quoted YAML scalar (JSON string syntax): the text may hold ": "
    `description: ${JSON.stringify(SKILL_DESCRIPTION)}`,
    "---",
    "",
    "# exprag: experiment memory",
    "",
    "Training scripts record each run as one JSONL file, `.exprag/runs/<run_id>.jsonl`, with the exact code state (git commit, or a snapshot commit on branch `run/<run_id>` when the worktree was dirty, dirty submodules included; when a local branch such as `run` blocks that name the snapshot is kept under the ref `refs/exprag/runs/<run_id>` and the recorded branch is null: use the commit, as `exprag checkout` does). Answer questions with the `exprag` CLI below, not by reading the files: it parses every file safely, infers the status of runs that died, and validates git references taken from the records.",
    "",
    "## Calling the CLI",
    "",
    "`exprag <command>` below means either an installed `exprag`, or",
    "",
    "```sh",
    "deno run --no-prompt --allow-read=.exprag jsr:@exprag/cli <command>",
    "```",
    "",
    "with the minimal permission flags of the command (nothing more; a missing flag gives a one-line error naming it, never a prompt):",
    "",
    "| command | minimal `deno run` flags |",
    "| --- | --- |",
  );
  for (const c of COMMANDS) {
    L.push(`| \`${c.name}\` | ${documentedFlags(c, true)} |`);
  }
}

/** Conventions of the output, the record format in brief, value paths. */
function conventionsSection(L: string[]): void {
  L.push(
    "",
    "With another exprag directory, pass `--dir DIR` and grant `--allow-read=DIR`; to honour `$EXPRAG_DIR` add `--allow-env=EXPRAG_DIR`.",
    "",
    "Conventions:",
    "",
    "- Runs are named by full id, a unique id prefix, `latest`, or `latest~N` (N runs before the latest; `latest~1` is the one before). Ids and prefixes are case-sensitive; an ambiguous prefix is an error listing the candidates.",
    "- Output is a tab-separated table with a header line; `--json` gives the same data (and more, e.g. each run's metadata) as JSON. Strings from records are escaped (`\\t`, `\\n`, `\\xNN`).",
    '- Exit codes: 0 ok, 1 not found or failure, 2 usage error. Errors are one line on stderr starting with `exprag:`; an empty answer with a line `exprag: note: …` on stderr is not "nothing recorded": the note says why (no runs directory here, a --where path no run has).',
    "- A torn or invalid line is skipped and reported on stderr as `file:line: reason`; `--strict` makes it an error.",
    "- Statuses: `finished`, `failed`, `interrupted` (from run_end); `running` (process alive), `crashed` (process gone, no run_end), `unknown` (another host; see its last record time).",
    '- Numbers recorded as "NaN", "Infinity", "-Infinity" count as numbers; NaN never wins `best` but is listed. `--where value.metrics.loss = NaN` finds the runs whose last loss is NaN (diverged: their status is still `finished`); `exprag git --where git.dirty = true` lists the runs with uncommitted edits (snapshots).',
    "",
    "## Record format (brief)",
    "",
    "One JSON object per line: `schema_version`, `run_id`, `experiment_name`, `kind` (`run_start`, `track`, `run_end`), `created_at` (RFC 3339), `elapsed_ms` (since run start), optional `note`, and `value`.",
    "",
    "- `run_start.value`: `metadata` (hyperparameters, given once), `git` (`commit`, `branch`, `dirty`, `head` = base commit, `status`), `host`, `process` (`pid`, `cwd`, `argv`), `runtime`.",
    '- `track.value`: whatever the script tracked, e.g. `{"step": 3, "metrics": {"loss": 0.25, "acc": 0.75}}`.',
    "- `run_end.value`: `status`, `exit_code`, `error`, `track_count`, `duration_ms`, and per-path summaries.",
    "",
    "Paths name values inside records: `value.metrics.acc` (track values), `metadata.hparams.learning_rate` (run metadata), `git.branch`, `status`, `name`; list elements are `[]`: `value.history.[].loss`. `exprag paths` lists them.",
    "",
    "## Commands",
    "",
  );
}

/** One section per command: usage, arguments, options, flags, examples. */
function commandsSection(L: string[]): void {
  for (const c of COMMANDS) {
    L.push(
      `### exprag ${c.name}`,
      "",
      c.summary + ".",
      "",
      "```sh",
      usageLine(c),
      "```",
      "",
      c.description,
      "",
    );
    for (const a of c.args) L.push(`- \`${a.name}\`: ${a.description}`);
    for (const o of c.options) {
      L.push(`- \`${optionSynopsis(o)}\`: ${o.description}`);
    }
    if (c.args.length + c.options.length > 0) L.push("");
    L.push(
      `Permissions: ${documentedFlags(c, true)}.`,
      "",
      "Examples:",
      "",
      "```sh",
    );
    for (const e of c.examples) L.push(`${e.cmd}   # ${e.says}`);
    L.push("```", "");
  }
}

/** The global options and the recipes. */
function recipesSection(L: string[]): void {
  L.push("Global options, on every command:", "");
  for (const o of GLOBAL_OPTIONS) {
    L.push(`- \`${optionSynopsis(o)}\`: ${o.description}`);
  }
  L.push(
    "",
    "## Recipes",
    "",
    `Each question takes at most two calls. ${
      PLACEHOLDERS.join(", ")
    } stand for ids taken from an earlier step's output. Paths like \`value.metrics.acc\` are examples: check the real ones with \`exprag paths\`.`,
    "",
  );
  for (const r of RECIPES) {
    L.push(`### "${r.question}"`, "");
    r.steps.forEach((s, i) => {
      L.push(`${i + 1}. \`${s.cmd}\`: ${s.read}.`);
    });
    L.push("", r.answer, "");
  }
}

/** The rules an agent keeps. */
function rulesSection(L: string[]): void {
  L.push(
    "## Rules",
    "",
    "- Prefer `exprag` over reading `.exprag/runs/*.jsonl` directly; cite values with the `file:line` that `exprag values` prints.",
    "- Never pass a branch or commit string from a record to git yourself: `exprag checkout`, `exprag diff` and `exprag cat` validate them first.",
    "- Never discard the user's uncommitted changes to restore a run: use `--worktree`.",
    "- State how runs were ranked (`by last` unless you passed `--by`).",
    "- Record conclusions with `exprag note` and `exprag tag`, never by editing files under `.exprag/runs`.",
    "",
  );
}

/**
 * Generates SKILL.md.
 *
 * @returns The Markdown text, with frontmatter.
 */
export function skillMarkdown(): string {
  const L: string[] = [];
  introSection(L);
  conventionsSection(L);
  commandsSection(L);
  recipesSection(L);
  rulesSection(L);
  return L.join("\n");
}
