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

/** One step of a recipe: a CLI call and what to read from its output. */
export interface RecipeStep {
  /** The command line, starting with `exprag `; RUN_ID-like words are placeholders. */
  readonly cmd: string;
  /** What to take from the output. */
  readonly read: string;
}

/** A worked recipe for one of the questions users ask (the seed README's). */
export interface Recipe {
  /** The question, as a user asks it. */
  readonly question: string;
  /** At most three CLI calls. */
  readonly steps: readonly RecipeStep[];
  /** How to answer from what the steps returned. */
  readonly answer: string;
}

/**
 * Placeholders used in recipes, replaced by the agent with values from an
 * earlier step's output.
 */
export const PLACEHOLDERS: readonly string[] = [
  "BEST_ID",
  "RUN_ID",
  "SECOND_ID",
];

/** The recipes: each question answered in at most three calls. */
export const RECIPES: readonly Recipe[] = [
  {
    question: "Which run had the best validation accuracy?",
    steps: [
      {
        cmd: "exprag paths --numeric --contains acc",
        read:
          "the path of the metric, e.g. value.metrics.val_acc (pick the validation one if there are several)",
      },
      {
        cmd: "exprag best value.metrics.val_acc --max --top 3",
        read:
          "rank 1 is the best run (BEST_ID) by its last value (the `by` column); the next rows are the runners-up. Only finished runs are ranked when any finished: an `exprag: note:` line counts the running/crashed/failed runs left out (--status any includes them)",
      },
      {
        cmd: "exprag show BEST_ID",
        read:
          "its metadata (hyperparameters), status and the min/max of every metric",
      },
    ],
    answer:
      "Name the run id, its final value and hyperparameters. Say that runs are ranked by their last value; rerun with --by max if the user means the peak value.",
  },
  {
    question: "Compare the latest two runs and explain what changed.",
    steps: [
      {
        cmd: "exprag compare latest~1 latest",
        read:
          "fields that differ (metadata, status, git), each shared metric's last/min/max in both runs and the change, and the diff command",
      },
      {
        cmd: "exprag diff latest~1 latest --stat",
        read: "which files changed between the two runs' code",
      },
      {
        cmd: "exprag diff latest~1 latest",
        read: "the code changes themselves",
      },
    ],
    answer:
      "Explain the metric changes through the metadata and code differences; say when nothing but the code changed.",
  },
  {
    question:
      "Find the best run, inspect the code that produced it, and tell me why it won.",
    steps: [
      {
        cmd: "exprag best value.metrics.acc --max --top 2",
        read: "the best run (BEST_ID) and the runner-up (SECOND_ID)",
      },
      {
        cmd: "exprag compare SECOND_ID BEST_ID",
        read: "how their metadata, status and metrics differ",
      },
      {
        cmd: "exprag diff SECOND_ID BEST_ID",
        read:
          "the code that differs between them (none, with a note line saying so, when both ran the same code)",
      },
    ],
    answer:
      "Attribute the win to the differences found (hyperparameters and code), citing values; if the code is the same, say that the metadata explains it.",
  },
  {
    question:
      "Restore the repository to the code state from the run with the lowest loss.",
    steps: [
      {
        cmd: "exprag best value.metrics.loss --min --by min",
        read:
          "the run (BEST_ID) whose loss reached the lowest value, and its commit",
      },
      {
        cmd: "exprag checkout BEST_ID --worktree ../exprag-best",
        read:
          "the directory now holding that run's exact code (the user's checkout is untouched)",
      },
    ],
    answer:
      "Tell the user where the code is. Only if they want their own checkout changed, run `exprag checkout BEST_ID` (refused when the worktree has uncommitted changes; never force it).",
  },
  {
    question: "Which learning rates result in accuracies above 90%?",
    steps: [
      {
        cmd: "exprag paths --numeric --contains acc",
        read:
          "the accuracy path and example values (is 90% recorded as 0.9 or as 90?)",
      },
      {
        cmd:
          "exprag runs --where 'value.metrics.acc > 0.9' --columns id,status,metadata.hparams.learning_rate,value.metrics.acc",
        read:
          "the runs whose last accuracy is above 0.9, one column per path: learning rate and last accuracy (without --columns: every run column, then one column per --where path)",
      },
    ],
    answer:
      "List the distinct learning rates with their runs and accuracies (if the metadata path differs, see it in exprag show latest). Compare with the runs at or below 0.9 if the user asks which rates work best.",
  },
  {
    question: "Which learning rate is best across seeds?",
    steps: [
      {
        cmd:
          "exprag best value.metrics.acc --group-by metadata.hparams.learning_rate",
        read:
          "one row per learning rate, best mean first: n (runs), mean, std, min, max of the runs' last accuracy, and the best run of each rate (best_id)",
      },
    ],
    answer:
      "Name the rate with the best mean and its spread (std over n runs); with n = 1 there is no spread to report. Add --group-by metadata.hparams.seed to see each run.",
  },
  {
    question: "Show the metric history for the run where batch size was 32.",
    steps: [
      {
        cmd: "exprag runs --where metadata.hparams.batch_size = 32",
        read:
          "the run id (RUN_ID); if several, ask or take the newest (first row)",
      },
      {
        cmd: "exprag values value --run RUN_ID",
        read:
          "every tracked value in order (step and metrics together), with time, elapsed ms and source file:line; at most 200 rows (a note says how many more: --tail N for the last, --every K to thin out); several paths give one column each, e.g. exprag values value.metrics.loss value.metrics.acc --run RUN_ID",
      },
    ],
    answer:
      "Show the history as a table or describe its trend; cite file:line for notable values.",
  },
  {
    question: "Which run in the last two weeks has the highest accuracy?",
    steps: [
      {
        cmd: "exprag best value.metrics.acc --max --since 2w",
        read: "the best run among runs started in the last 14 days",
      },
    ],
    answer:
      "Time windows map to --since/--until: 'last two weeks' is --since 2w, 'yesterday' --since 1d, 'in January 2025' --since 2025-01-01 --until 2025-02-01.",
  },
  {
    question: "Show me the git diff between the two latest runs.",
    steps: [{
      cmd: "exprag diff latest~1 latest",
      read: "the code difference",
    }],
    answer: "Summarize the diff file by file.",
  },
  {
    question: "Compare the best run against the latest run.",
    steps: [
      {
        cmd: "exprag best value.metrics.acc --max",
        read: "the best run (BEST_ID)",
      },
      { cmd: "exprag compare BEST_ID latest", read: "their differences" },
      {
        cmd: "exprag diff BEST_ID latest --stat",
        read: "the files whose code differs",
      },
    ],
    answer:
      "Explain what the latest run does differently and how its metrics compare.",
  },
  {
    question:
      "I started training in the background: is it still running, and how is the loss doing?",
    steps: [
      {
        cmd: "exprag tail latest value.metrics.loss --follow --timeout 60",
        read:
          "the last losses, new ones as they arrive, the loss curve (▁▂▃▄▅▆▇█ low to high, · NaN, ↑/↓ ±Infinity) and the `status:` line: finished/failed/interrupted when it ended, crashed (exit 1) when its process died, running when it outlived the timeout (a note says so)",
      },
    ],
    answer:
      "Report the trend from the curve and the last values (a · means the loss became NaN: diverged). Still running: call it again later instead of polling in a loop. Crashed or failed: the status line gives the reason or error.",
  },
  {
    question: "Check out the exact code for run X.",
    steps: [
      {
        cmd: "exprag checkout RUN_ID --worktree ../exprag-run",
        read: "the worktree path and the commit checked out",
      },
    ],
    answer:
      "Work in the new worktree (the run's submodules are restored in it too); `git worktree remove ../exprag-run` removes it later. Without --worktree exprag checks out in place (branch `run/<run_id>`, or the commit detached), and only when the worktree is clean.",
  },
  {
    question:
      "Compare that run with my current checkout: what have I changed since?",
    steps: [
      {
        cmd: "exprag diff RUN_ID --stat",
        read:
          "the files that differ between the run's code and the current worktree (tracked edits, deletions and untracked, not ignored files; the exprag directory left out)",
      },
      {
        cmd: "exprag diff RUN_ID",
        read:
          "the changes themselves, the run's code as the old side (add --path FILE_OR_DIR, repeatable, to narrow it)",
      },
    ],
    answer:
      "Summarize the changes file by file. An empty diff comes with a line `exprag: note: ... no code difference`: then the worktree holds exactly the run's code. Nothing in the user's index, HEAD or files is touched.",
  },
  {
    question: "Show me train.ts as that run ran it.",
    steps: [{
      cmd: "exprag cat RUN_ID train.ts",
      read:
        "the file's exact bytes in the run's code (its snapshot when the worktree was dirty); the path is relative to the repository's top level",
    }],
    answer:
      "No worktree is needed. A path the run lacks is an error naming the closest path it has; a file inside a submodule is read from the submodule's commit in the run.",
  },
  {
    question:
      "Write a conclusion back: this run diverged because the learning rate was too high.",
    steps: [
      {
        cmd: "exprag tag RUN_ID verdict=diverged",
        read:
          "the run tagged (the last value of a key wins; `verdict=` with nothing after = removes the tag)",
      },
      {
        cmd: "exprag note RUN_ID 'diverged: lr too high' --author claude",
        read: "the note appended to .exprag/notes/<run_id>.jsonl",
      },
    ],
    answer:
      "Both need `--allow-read=.exprag --allow-write=.exprag/notes` and never modify the run file. Later, `exprag runs --where tags.verdict = diverged` finds the tagged runs and `exprag show RUN_ID` lists the tags and notes (`--json`: `tags`, `notes`).",
  },
];

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
    '- Numbers recorded as "NaN", "Infinity", "-Infinity" count as numbers; NaN never wins `best` but is listed.',
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
    `Each question takes at most three calls. ${
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
