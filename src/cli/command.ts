/**
 * The command definitions: the single source of truth for parsing
 * (parse.ts), `--help` (help.ts), the minimal permission flags (enforced by
 * cli.ts and documented in the README) and SKILL.md (skill.ts).
 *
 * This module is pure data plus tiny helpers: importing it costs nothing at
 * start-up, and the command implementations are loaded lazily. It is about
 * 600 lines because it holds every command's texts (summary, description,
 * options, examples, recipes) side by side: one table, read as one.
 *
 * @module
 */

import { createNeeds, writeNeeds } from "./safe_write.ts";
import { notesDir } from "../note_record.ts";
import type {
  CommandDef,
  Needed,
  OptionDef,
  PermissionContext,
} from "./command_types.ts";

export type {
  ArgDef,
  CommandDef,
  Example,
  Needed,
  OptionDef,
  PermissionContext,
} from "./command_types.ts";

/** Global options, accepted before or after the command word. */
export const GLOBAL_OPTIONS: readonly OptionDef[] = [
  {
    name: "dir",
    values: ["DIR"],
    default: ".exprag",
    description:
      "the exprag directory (default: $EXPRAG_DIR when --allow-env=EXPRAG_DIR is granted, else .exprag); its runs/ holds the run files",
  },
  {
    name: "json",
    values: [],
    description: "print machine-readable JSON instead of the table",
  },
  {
    name: "strict",
    values: [],
    description:
      "fail (exit 1) on the first invalid line instead of skipping it with a `file:line: reason` warning",
  },
  {
    name: "help",
    short: "h",
    values: [],
    description: "show help for exprag or for one command",
  },
  {
    name: "version",
    short: "V",
    values: [],
    description: "print the version",
  },
];

const WHERE: OptionDef = {
  name: "where",
  values: ["PATH", "OP", "VALUE"],
  multiple: true,
  description:
    "keep runs where PATH OP VALUE holds (repeatable, all must hold); OP is one of = != < <= > >= ~ (regex); PATH like metadata.hparams.lr, value.metrics.acc (its last value), status, name, git.branch; may be one quoted word: 'metadata.hparams.lr<=0.01'",
};

const SINCE: OptionDef = {
  name: "since",
  values: ["WHEN"],
  description:
    "only runs started at or after WHEN: an RFC 3339 time, a date (2025-01-31, UTC midnight), or an age like 30m, 12h, 7d, 2w (a note states the instant an age or date stands for)",
};

const UNTIL: OptionDef = {
  name: "until",
  values: ["WHEN"],
  description: "only runs started at or before WHEN (same forms as --since)",
};

/** The filters of the commands that list runs (`runs`, `git`). */
const RUN_FILTERS: readonly OptionDef[] = [SINCE, UNTIL, {
  name: "limit",
  values: ["N"],
  integer: true,
  description: "only the N newest runs (after filtering)",
}, WHERE];

const RUN_OPT: OptionDef = {
  name: "run",
  values: ["RUN"],
  description:
    "only this run: full id, unique id prefix, latest, or latest~N (N runs before the latest)",
};

/** Permissions of every read-only command: read access to the exprag directory. */
function readDir(ctx: PermissionContext): Needed[] {
  return [{ name: "read", path: ctx.dir }];
}

/**
 * Permissions of `skill`: none to print; to write PATH, read on its first
 * component (to check that no component is a symlink) and write on its
 * directory (a temporary file renamed over PATH).
 */
function skillPermissions(ctx: PermissionContext): Needed[] {
  if (typeof ctx.options.write !== "string") return [];
  const { read, write } = writeNeeds(ctx.options.write);
  return [{ name: "read", path: read }, { name: "write", path: write }];
}

/** Permissions of the git commands: read the records and run git. */
function readDirAndGit(ctx: PermissionContext): Needed[] {
  return [{ name: "read", path: ctx.dir }, { name: "run", command: "git" }];
}

/** Permissions of `note` and `tag`: read the runs, write the notes directory. */
function notesPermissions(ctx: PermissionContext): Needed[] {
  return [{ name: "read", path: ctx.dir }, {
    name: "write",
    path: notesDir(ctx.dir),
  }];
}

/**
 * Permissions of `prune`: read the exprag directory and run git (the
 * snapshot refs; without git on PATH it handles only the files and says
 * the refs were not checked); `--yes` adds write on the exprag directory
 * (removing files).
 */
function prunePermissions(ctx: PermissionContext): Needed[] {
  const needs: Needed[] = [{ name: "read", path: ctx.dir }, {
    name: "run",
    command: "git",
    ifInstalled: true,
  }];
  if (ctx.options.yes === true) needs.push({ name: "write", path: ctx.dir });
  return needs;
}

/** Permissions of `push`: read the exprag directory, run git. */
function pushPermissions(ctx: PermissionContext): Needed[] {
  return readDirAndGit(ctx);
}

/** Permissions of `pull`: read and write the exprag directory, run git. */
function pullPermissions(ctx: PermissionContext): Needed[] {
  return [
    { name: "read", path: ctx.dir },
    { name: "write", path: ctx.dir },
    { name: "run", command: "git" },
  ];
}

/** The options `push` and `pull` share. */
const SYNC_OPTIONS: readonly OptionDef[] = [
  {
    name: "dry-run",
    values: [],
    description:
      "only print what would move (the remote's refs are still read; pull fetches them into its private refs/exprag/remotes/ namespace)",
  },
  {
    name: "warn-size",
    values: ["BYTES"],
    integer: true,
    default: "104857600",
    description:
      "print a warning for each run file bigger than BYTES (default 100 MiB)",
  },
  {
    name: "prompt",
    values: [],
    description:
      "let git ask for credentials and ssh ask questions (by default git never prompts: GIT_TERMINAL_PROMPT=0, ssh in batch mode)",
  },
];

/**
 * Permissions of `export`: read the runs; with --output FILE, read on its
 * first component (to check that no component is a symlink) and write on
 * FILE itself (created, never overwritten).
 */
function exportPermissions(ctx: PermissionContext): Needed[] {
  const needs: Needed[] = [{ name: "read", path: ctx.dir }];
  if (typeof ctx.options.output !== "string") return needs;
  const { read, write } = createNeeds(ctx.options.output);
  return [...needs, { name: "read", path: read }, {
    name: "write",
    path: write,
  }];
}

const AUTHOR: OptionDef = {
  name: "author",
  values: ["NAME"],
  description:
    "who concludes this, recorded as author (e.g. claude, codex, or the user's name)",
};

/** The sub-commands, in the order help lists them. */
export const COMMANDS: readonly CommandDef[] = [
  {
    name: "runs",
    summary: "list runs, newest first, with status and code state",
    description:
      "One row per run: id, name, status (finished, failed, interrupted from run_end; running, crashed, unknown inferred), start time, time of the last record, duration, track record count, git commit, branch and dirty flag, and one column per metadata leaf that differs between the runs listed (a note names the leaves that are the same in all; more than 8 differing: one metadata column); then the value of each --where path (value.* paths: the last value) as a column. --columns picks the columns; with --json a `columns` object holds the paths' values.",
    args: [],
    options: [
      ...RUN_FILTERS,
      {
        name: "columns",
        values: ["LIST"],
        description:
          "the columns to show, comma-separated: any of id, name, status, started, last, duration_s, records, commit, branch, dirty, metadata, status_reason (why: a failed run's error, a crash's evidence), tags, notes, or a path as --where takes it (metadata.hparams.lr, value.metrics.acc: its last value, tags.verdict)",
      },
    ],
    permissions: readDir,
    writes: false,
    examples: [
      { cmd: "exprag runs --limit 5", says: "the five newest runs" },
      {
        cmd: "exprag runs --where 'value.metrics.acc > 0.9'",
        says:
          "runs whose last accuracy is above 0.9, with a value.metrics.acc column",
      },
      {
        cmd:
          "exprag runs --columns id,status,metadata.hparams.lr,value.metrics.acc",
        says:
          "one column per path: the learning rate and last accuracy of each run",
      },
      {
        cmd: "exprag runs --since 2w --where metadata.hparams.batch_size = 32",
        says: "runs of the last two weeks with batch size 32",
      },
    ],
  },
  {
    name: "show",
    summary: "one run in detail: metadata, git, host, process, path statistics",
    description:
      "The run's fields (status, times, metadata, git state, host, process) as `key value` rows (empty ones left out; process ids, versions and the like named in one `more` row, their values in --json), then each numeric path with count, first, last, min, max, mean (6 significant digits; --json has every digit), NaN count and curve (a sparkline: ▁▂▃▄▅▆▇█ low to high, · NaN, ↑ Infinity, ↓ -Infinity).",
    args: [{
      name: "RUN",
      description: "id, unique prefix, latest or latest~N",
    }],
    options: [],
    permissions: readDir,
    writes: false,
    examples: [{ cmd: "exprag show latest", says: "the newest run in detail" }],
  },
  {
    name: "paths",
    summary: "the value paths recorded, with counts, types and examples",
    description:
      "Every leaf path of track values (lists as `[]`, e.g. value.history.[].loss) with how many values and runs hold it, its JSON types and a few example values. Use it to find the path to pass to values, best and --where.",
    args: [],
    options: [
      {
        name: "contains",
        values: ["S"],
        description: "only paths containing S (case-insensitive)",
      },
      {
        name: "numeric",
        values: [],
        description: "only numeric paths (numbers, NaN, Infinity)",
      },
      RUN_OPT,
    ],
    permissions: readDir,
    writes: false,
    examples: [
      {
        cmd: "exprag paths --numeric --contains acc",
        says: "numeric paths that look like accuracies",
      },
    ],
  },
  {
    name: "values",
    summary: "every value at a path, with run, time and source file:line",
    description:
      "One row per recorded value at PATH: run id, record time, elapsed ms since run start, the value (JSON), the note (shown once, where it changes), and the source `file:line` to cite. With several PATHs: one row per record holding any of them, one column per PATH (empty where the record has none). The table shows at most 200 rows unless --limit or --tail is given (a note says how many were left out; --json gives every row). A path with no value is an error (exit 1) naming the recorded path it probably meant.",
    args: [{
      name: "PATH",
      multiple: true,
      description:
        "value paths from `exprag paths`, e.g. value.metrics.loss; several: one column each, one row per record",
    }],
    options: [
      RUN_OPT,
      {
        name: "limit",
        values: ["N"],
        integer: true,
        conflicts: ["tail"],
        description:
          "at most N rows, the first ones (tables default to 200, with a note when rows were left out; --json to all)",
      },
      {
        name: "tail",
        values: ["N"],
        integer: true,
        conflicts: ["limit"],
        description: "the last N rows",
      },
      {
        name: "every",
        values: ["K"],
        integer: true,
        description:
          "every K-th row (the 1st, K+1-th, ...), before --tail or --limit: a long curve thinned out",
      },
    ],
    permissions: readDir,
    writes: false,
    examples: [
      {
        cmd: "exprag values value.metrics.loss --run latest",
        says: "the loss history of the newest run",
      },
      {
        cmd:
          "exprag values value.metrics.val_acc value.metrics.val_loss --run latest --tail 20",
        says: "the last 20 records' validation accuracy and loss, side by side",
      },
    ],
  },
  {
    name: "best",
    summary: "rank runs by a numeric path",
    description:
      "Ranks runs by one number per run taken from PATH (by default its last value, as MLflow and W&B summarize; the `by` column states it). Only the finished runs are ranked when any finished: an `exprag: note:` line says how many others were left out (--status any includes them); runs without run_end (e.g. Python exprag files) are ranked when no run has one. NaN never wins: NaN rows come last, unranked. Runs without the path are counted, not listed. With --group-by: one row per group.",
    args: [{ name: "PATH", description: "a numeric value path" }],
    options: [
      {
        name: "max",
        values: [],
        conflicts: ["min"],
        description: "higher is better (the default)",
      },
      {
        name: "min",
        values: [],
        conflicts: ["max"],
        description: "lower is better (losses, errors)",
      },
      {
        name: "by",
        values: ["HOW"],
        choices: ["last", "first", "max", "min", "mean"],
        default: "last",
        description:
          "which value of each run counts: last (default), first, max, min or mean",
      },
      {
        name: "top",
        values: ["N"],
        integer: true,
        default: "1",
        description: "how many runs to list (default 1)",
      },
      {
        name: "status",
        values: ["STATES"],
        description:
          "which runs are ranked: any, or a comma-separated list of finished, failed, interrupted, running, crashed, unknown (default: the finished runs when any finished, else all; a note says what was left out)",
      },
      {
        name: "group-by",
        values: ["PATH"],
        multiple: true,
        description:
          "one row per group of runs with the same value at PATH (repeatable; e.g. metadata.hparams.lr): n, mean, std (sample), min, max of the runs' values and the group's best run, best mean first",
      },
      SINCE,
      UNTIL,
      WHERE,
    ],
    permissions: readDir,
    writes: false,
    examples: [
      {
        cmd: "exprag best value.metrics.acc --max --top 3",
        says: "the three runs with the highest final accuracy",
      },
      {
        cmd: "exprag best value.metrics.loss --min --by min",
        says: "the run that reached the lowest loss at any step",
      },
      {
        cmd: "exprag best value.metrics.acc --group-by metadata.hparams.lr",
        says: "which learning rate is best across seeds (mean, std per lr)",
      },
      {
        cmd: "exprag best value.metrics.acc --status any --top 5",
        says: "rank running, crashed and failed runs too",
      },
    ],
  },
  {
    name: "compare",
    summary: "two runs side by side: metadata, git, final and best values",
    description:
      "The fields that differ (status, metadata leaves, git state), one `same` row naming the equal ones, a `code` row (same, or different with the command that shows the difference), then each numeric path both runs share with each run's last, min and max value (6 significant digits; --json has every digit), the change of the last value and both runs' curves (sparklines). A note says when the runs recorded different numbers of track records (their last values come from different points of training).",
    args: [
      { name: "RUN_A", description: "the first run" },
      { name: "RUN_B", description: "the second run" },
    ],
    options: [],
    permissions: readDir,
    writes: false,
    examples: [
      {
        cmd: "exprag compare latest~1 latest",
        says: "what changed between the two newest runs",
      },
    ],
  },
  {
    name: "tail",
    summary:
      "the latest values of a run; with --follow, new records until it ends",
    description:
      "One row per track record (line, elapsed_ms, one column per PATH; without PATHs the last record's value paths), the last N records; then each numeric path's count, last, min, max and curve (a sparkline: ▁▂▃▄▅▆▇█ low to high, · NaN, ↑ Infinity, ↓ -Infinity), then a `status:` line. With --follow it prints new records as they arrive (reading only the appended bytes; a live run's unfinished last line is never reported torn) and ends when the run ends: its run_end (exit 0), its process gone without run_end (status crashed, exit 1), or --timeout (exit 0, with a note that it is still running). --json prints one JSON object per line: `kind` track per record, then `kind` status with the curves.",
    args: [
      { name: "RUN", description: "id, unique prefix, latest or latest~N" },
      {
        name: "PATH",
        optional: true,
        multiple: true,
        description:
          "value paths to show, e.g. value.metrics.loss (default: the last record's)",
      },
    ],
    options: [
      {
        name: "lines",
        values: ["N"],
        integer: true,
        default: "10",
        description: "show the last N records (default 10)",
      },
      {
        name: "follow",
        values: [],
        description:
          "keep printing new records until the run ends (its status line then; exit 1 if it crashed)",
      },
      {
        name: "timeout",
        values: ["S"],
        integer: true,
        description:
          "with --follow: stop after S seconds even if the run is still running (exit 0, with a note)",
      },
      {
        name: "every-ms",
        values: ["N"],
        integer: true,
        default: "500",
        description:
          "with --follow: look for new records every N ms (default 500)",
      },
    ],
    permissions: readDir,
    writes: false,
    examples: [
      {
        cmd: "exprag tail latest value.metrics.loss",
        says: "the newest run's last ten losses, its loss curve and status",
      },
      {
        cmd: "exprag tail latest value.metrics.loss --follow --timeout 60",
        says: "watch a live run for up to a minute, or until it ends",
      },
    ],
  },
  {
    name: "git",
    summary: "the code state of each run: commit, branch, dirty, base",
    description:
      "One row per run, newest first: run id, name, the commit holding its code (a snapshot commit for dirty worktrees), the recorded branch (`branch`, the same in `runs` and `checkout`: run/<id> for snapshots, the user's branch for clean runs, empty when a local branch such as `run` blocked that name and the snapshot went to the fallback ref refs/exprag/runs/<id>, shown in a `ref` column: then use the commit, which `exprag checkout` does), dirty, the base commit (HEAD when the run started) and the user's branch at that time (`head_branch`). Dirty submodules are snapshotted in their own repositories (`--json`: `git.submodules`). Reads only the records.",
    args: [],
    options: [
      ...RUN_FILTERS,
    ],
    permissions: readDir,
    writes: false,
    examples: [{
      cmd: "exprag git --limit 3",
      says: "code state of the three newest runs",
    }],
  },
  {
    name: "checkout",
    summary:
      "restore a run's exact code (into a new worktree, or in place when clean)",
    description:
      "With --worktree DIR: `git worktree add` a detached checkout of the run's commit into DIR; your checkout is untouched. Without it: checks out the run's snapshot branch run/<id> (or, for a clean run or a snapshot stored under the fallback ref refs/exprag/runs/<id>, its commit, detached) in the current repository, only when no tracked file has uncommitted changes (outside the exprag directory) and no untracked or ignored file lies where the checkout would overwrite or delete it; other untracked files stay, as git keeps them. When HEAD already is the run's commit nothing changes and a `exprag: note:` line says so. The report's `branch` is the run's recorded branch (as in `runs` and `git`), `snapshot_ref` the ref still holding its snapshot (run/<id> or the fallback ref; empty for a clean run), `checked_out` what was checked out and `return_with` the way back. Either way the run's submodules are restored too: their snapshots (dirty submodules) or their recorded commits, where they are checked out. A dirty run without a snapshot is refused (its commit is only its base) unless --base-only is given.",
    args: [{ name: "RUN", description: "the run whose code to restore" }],
    options: [{
      name: "worktree",
      values: ["DIR"],
      description:
        "create a new git worktree at DIR instead of touching the current checkout",
    }, {
      name: "base-only",
      values: [],
      description:
        "for a dirty run whose edits were not captured (no snapshot): check out its base commit anyway (refused without this flag)",
    }],
    permissions: readDirAndGit,
    writes: true,
    examples: [
      {
        cmd: "exprag checkout latest --worktree ../run-latest",
        says: "the newest run's code in ../run-latest",
      },
    ],
  },
  {
    name: "diff",
    summary:
      "the code difference between two runs, or a run and your current checkout",
    description:
      "With RUN_A and RUN_B: `git diff` between the two runs' commits. With one RUN: the run's code against the current worktree as a snapshot would see it (tracked edits and untracked, not ignored files included), built in a temporary index in the git directory: your index, HEAD and files are never touched. Either way the exprag directory is left out; identical code gives no diff and a `exprag: note:` line saying so; a diff of more than 400 lines shows the smallest files' diffs in full while they fit and names the others with their line counts in a note (--path PATH for one file, --full for all; --json always holds the whole diff).",
    args: [
      { name: "RUN_A", description: "the old side (the run)" },
      {
        name: "RUN_B",
        optional: true,
        description: "the new side (default: your current worktree)",
      },
    ],
    options: [{
      name: "stat",
      values: [],
      description: "only the changed files and line counts (git diff --stat)",
    }, {
      name: "full",
      values: [],
      description:
        "print the whole diff however long (without it, a diff of more than 400 lines shows the small files in full and names the others in a note)",
    }, {
      name: "path",
      values: ["PATH"],
      multiple: true,
      description:
        "only this file or directory, relative to the repository's top level (repeatable)",
    }],
    permissions: readDirAndGit,
    writes: false,
    examples: [
      {
        cmd: "exprag diff latest~1 latest --stat",
        says: "files changed between the two newest runs",
      },
      {
        cmd: "exprag diff latest",
        says: "the newest run's code against your current checkout",
      },
    ],
  },
  {
    name: "cat",
    summary: "print one file as it was in a run's code",
    description:
      "The file's bytes exactly as they were in the run's commit (its snapshot for a dirty run; a file inside a submodule from the submodule's commit in the run), without a worktree and without touching anything. PATH is relative to the repository's top level, also when exprag runs in a subdirectory. A path the run's code lacks is an error (exit 1) naming the closest path it has. --json gives text (or base64 for binary files), mode and size.",
    args: [
      { name: "RUN", description: "id, unique prefix, latest or latest~N" },
      {
        name: "PATH",
        description:
          "a file path relative to the repository's top level, e.g. src/train.ts",
      },
    ],
    options: [],
    permissions: readDirAndGit,
    writes: false,
    examples: [
      {
        cmd: "exprag cat latest train.ts",
        says: "train.ts as the newest run ran it",
      },
    ],
  },
  {
    name: "note",
    summary: "write a conclusion about a run back (append-only)",
    description:
      "Appends TEXT as a note about RUN to .exprag/notes/<run_id>.jsonl (one JSON line: kind note, run_id, created_at, text, author; the run file is never touched). `show` lists the notes, `runs` counts them, --where 'notes ~ TEXT' filters on them. An unknown RUN is an error (exit 1).",
    args: [
      { name: "RUN", description: "the run the conclusion is about" },
      {
        name: "TEXT",
        description:
          "the conclusion, one quoted argument (put -- before it if it starts with -)",
      },
    ],
    options: [AUTHOR],
    permissions: notesPermissions,
    writes: true,
    examples: [
      {
        cmd: "exprag note latest 'diverged: lr too high' --author claude",
        says: "record why the newest run failed",
      },
    ],
  },
  {
    name: "tag",
    summary: "set a KEY=VALUE tag on a run (KEY= removes it)",
    description:
      "Appends a tag record to .exprag/notes/<run_id>.jsonl; the last value of a key wins, and KEY= (empty value) removes the key. `show` and `runs` show the tags, --where tags.KEY = VALUE selects runs by them. An unknown RUN is an error (exit 1), a malformed KEY=VALUE a usage error (exit 2).",
    args: [
      { name: "RUN", description: "the run to tag" },
      {
        name: "KEY=VALUE",
        description:
          "KEY: a letter or _, then letters, digits, _ or - (at most 64); VALUE: one line (empty: remove the tag)",
      },
    ],
    options: [AUTHOR],
    permissions: notesPermissions,
    writes: true,
    examples: [
      {
        cmd: "exprag tag latest verdict=diverged",
        says:
          "label the newest run; then exprag runs --where tags.verdict = diverged",
      },
    ],
  },
  {
    name: "prune",
    summary:
      "remove runs (files, notes, snapshot refs); a dry run unless --yes",
    description:
      "Selects runs by --where, --status, --older-than and --keep-best (all given must hold; at least one selector, or --orphans, is required) and lists what removing them takes: the run file, its notes file .exprag/notes/<id>.jsonl, its snapshot ref refs/heads/run/<id> or refs/exprag/runs/<id> (only while it points at the run's recorded commit; a ref that moved is kept) and its submodule snapshot refs, with --remote R also the remote's refs/exprag/sync/{runs,notes,code}/<id>. Nothing is removed without --yes: the last line says `dry run: ... pass --yes to remove`. A running run (its file lock held, checked again under our own lock right before removing) is never removed, nor one whose status is unknown (another host's live run?) unless --status names unknown; no other ref is ever touched. Git refs are checked in the repository around the current directory; without git the files are still handled and a note says the refs were not checked.",
    args: [],
    options: [
      {
        ...WHERE,
        description:
          "select runs where PATH OP VALUE holds (repeatable, all must hold); as for runs: metadata.hparams.lr, value.metrics.acc (its last value), name, tags.verdict, ...",
      },
      {
        name: "status",
        values: ["STATES"],
        description:
          "select runs with one of these statuses (comma-separated: finished, failed, interrupted, crashed, unknown; running runs are never removed)",
      },
      {
        name: "older-than",
        values: ["WHEN"],
        description:
          "select runs started before WHEN: an age like 30d or 2w, a date (2025-01-31) or an RFC 3339 time (same forms as --since)",
      },
      {
        name: "keep-best",
        values: ["N", "PATH"],
        integer: true,
        description:
          "keep the N best runs by the numeric PATH, ranked as exprag best ranks them among the runs the other selectors select (--max/--min, --by); the ranked runs outside the top N are selected (runs without PATH are not)",
      },
      {
        name: "max",
        values: [],
        conflicts: ["min"],
        description: "with --keep-best: higher is better (the default)",
      },
      {
        name: "min",
        values: [],
        conflicts: ["max"],
        description: "with --keep-best: lower is better (losses)",
      },
      {
        name: "by",
        values: ["HOW"],
        choices: ["last", "first", "max", "min", "mean"],
        description:
          "with --keep-best: which value of each run counts (default last)",
      },
      {
        name: "orphans",
        values: [],
        description:
          "also select snapshot refs run/<id> and refs/exprag/runs/<id> whose run file does not exist (snapshot commits older than an hour) the capture's temporary files and a killed pull's .<id>.pull-*.tmp files older than an hour",
      },
      {
        name: "remote",
        values: ["R"],
        description:
          "also remove the removed runs' refs refs/exprag/sync/{runs,notes,code}/<id> on the git remote R (those git ls-remote lists, deleted by one git push that never prompts)",
      },
      {
        name: "yes",
        values: [],
        description:
          "remove what the dry run lists (without it nothing is removed)",
      },
    ],
    permissions: prunePermissions,
    writes: true,
    examples: [
      {
        cmd: "exprag prune --status crashed,failed --older-than 30d",
        says: "list the failed and crashed runs older than 30 days (a dry run)",
      },
      {
        cmd: "exprag prune --keep-best 5 value.metrics.acc --yes",
        says: "remove every ranked run but the five with the best accuracy",
      },
      {
        cmd: "exprag prune --orphans",
        says: "snapshot refs left without a run file, stale temporary files",
      },
    ],
  },
  {
    name: "push",
    summary:
      "send runs, notes and dirty runs' code to a git remote (refs/exprag/sync/*)",
    description:
      "Pushes each run file, notes file and dirty run's snapshot commit to its own ref of REMOTE (a remote name, URL or path): refs/exprag/sync/runs/<id>, notes/<id>, code/<id>, never a branch. A run file is pushed only when it extends the remote's copy (a run pushed again as it grows; its unfinished last line waits for the next push), notes files as the union of both sides' records, all as plain fast-forwards (never forced): a ref another machine moved meanwhile is re-read and retried; a remote copy that is not a prefix of the local one is a conflict (exit 1), the remote left as it is. Prints what moved, then a summary line (`pushed 3 runs, 0 notes files, 1 code ref; 2 up to date; 0 conflicts`). Your branches, index and files are never touched.",
    args: [{ name: "REMOTE", description: "a git remote name, URL or path" }, {
      name: "RUN",
      optional: true,
      multiple: true,
      description: "only these runs (id, unique prefix, latest, latest~N)",
    }],
    options: SYNC_OPTIONS,
    permissions: pushPermissions,
    writes: false,
    examples: [
      {
        cmd: "exprag push origin",
        says: "send every run, its notes and its code to origin",
      },
      {
        cmd: "exprag push origin latest --dry-run",
        says: "what pushing the newest run would move",
      },
    ],
  },
  {
    name: "pull",
    summary: "bring runs, notes and code refs pushed by other machines",
    description:
      "Fetches REMOTE's refs/exprag/sync/* into refs/exprag/remotes/<remote>/ (never a branch), then for each run: absent here → written (never over an existing file); the local file a prefix of the remote's (a run that grew) → replaced atomically unless a live tracker holds it; the same → nothing; different → a conflict (exit 1), the local file kept. Notes: the records missing here are appended. A dirty run's code becomes the branch run/<id> (created only; one pointing elsewhere is a conflict), so checkout, diff and cat work on it. A second pull moves nothing. Runs another host left without run_end show as unknown here.",
    args: [{ name: "REMOTE", description: "a git remote name, URL or path" }],
    options: SYNC_OPTIONS,
    permissions: pullPermissions,
    writes: true,
    examples: [
      {
        cmd: "exprag pull origin",
        says: "bring the runs other machines pushed to origin",
      },
      {
        cmd: "exprag pull origin --dry-run",
        says: "what would move, without writing anything in .exprag",
      },
    ],
  },
  {
    name: "export",
    summary:
      "the runs as CSV, TSV or JSON Lines for DuckDB, pandas or Spark (one row per run, or per value)",
    description:
      "One row per run, oldest first: id, name, status, status_reason, started_at, last_at (run_end's time, else the last record's; UTC), duration_s, records, exit_code, git.commit, git.branch, git.dirty, notes (how many), then one column per tag (tags.KEY), per flattened metadata leaf (metadata.hparams.lr; lists as JSON) and three per numeric path: PATH.last, PATH.min, PATH.max (from run_end's summary, else a scan). With --records PATH...: one row per value (run, elapsed_ms, created_at, path, value: numbers as numbers, anything else JSON-encoded). NaN, Infinity and -Infinity are written as such (DuckDB and pandas read them as numbers); a missing value is an empty field (null in jsonl). CSV is quoted per RFC 4180 (LF line ends); TSV is never quoted: backslash, tab, newline and carriage return are written as \\\\, \\t, \\n, \\r, so each row is one line; jsonl is one object per line with every column. Streams: a first pass collects the columns, a second writes the rows.",
    args: [{
      name: "PATH",
      optional: true,
      multiple: true,
      description:
        "with --records: the value paths to export, e.g. value.metrics.loss",
    }],
    options: [
      {
        name: "format",
        values: ["FORMAT"],
        choices: ["csv", "tsv", "jsonl"],
        default: "csv",
        description:
          "csv (default), tsv or jsonl (one JSON object per line; --json means jsonl)",
      },
      {
        name: "output",
        values: ["FILE"],
        example: "runs.csv",
        description:
          "write to FILE instead of stdout: a new file (an existing FILE is never overwritten; refused through a symbolic link; its directory must exist)",
      },
      {
        name: "records",
        values: [],
        description:
          "long format: one row per recorded value at the PATHs (run, elapsed_ms, created_at, path, value)",
      },
      {
        name: "status",
        values: ["STATES"],
        description:
          "only runs in these states: any (default), or a comma-separated list of finished, failed, interrupted, running, crashed, unknown",
      },
      SINCE,
      UNTIL,
      WHERE,
    ],
    permissions: exportPermissions,
    writes: true,
    examples: [
      {
        cmd: "exprag export --output runs.csv",
        says: "every run as one CSV row, for DuckDB or pandas",
      },
      {
        cmd:
          "exprag export --records value.metrics.loss --status finished --format jsonl",
        says: "every loss value of the finished runs, one JSON object each",
      },
    ],
  },
  {
    name: "skill",
    summary: "print SKILL.md for coding agents, or write it to a file",
    description:
      "Prints the agent skill (how to call exprag, the record format, every command and a recipe per common question). With --write PATH it writes the file, creating parent directories, e.g. .claude/skills/exprag/SKILL.md, .agents/skills/exprag/SKILL.md or .opencode/skills/exprag/SKILL.md.",
    args: [],
    options: [{
      name: "write",
      values: ["PATH"],
      example: ".claude/skills/exprag/SKILL.md",
      description:
        "write SKILL.md to PATH (parent directories are created; refused when PATH or a directory on the way is a symbolic link; atomic: a temporary file renamed over PATH)",
    }],
    permissions: skillPermissions,
    writes: true,
    examples: [
      {
        cmd: "exprag skill --write .claude/skills/exprag/SKILL.md",
        says: "install the skill for Claude Code",
      },
    ],
  },
  {
    name: "mcp",
    summary: "serve these commands as tools of a stdio MCP server",
    description:
      "A Model Context Protocol server on stdin/stdout (JSON-RPC 2.0, one message per line; protocol versions 2025-11-25, 2025-06-18, 2025-03-26 and 2024-11-05), for MCP clients such as Claude Code, Claude Desktop or Cursor. Its tools are the commands runs, show, paths, values, best, compare, tail, git, diff, cat, note and tag, their input schemas made from the same options and arguments; a call runs the command in this process with --json and returns its data (structuredContent, and as JSON text) with its notes. Each tool needs the flags of its command: start the server with --no-prompt --allow-read=.exprag, add --allow-run=git for diff and cat and --allow-write=.exprag/notes for note and tag; a tool whose permission is missing returns a tool error naming the flag. stdout carries only protocol messages.",
    args: [],
    options: [],
    permissions: readDir,
    writes: true,
    examples: [
      {
        cmd: "exprag mcp",
        says:
          "serve the tools on stdin/stdout (the command an MCP client's configuration starts)",
      },
    ],
  },
];

/**
 * Finds a command by name.
 *
 * @param name The command word.
 * @returns Its definition, or `undefined`.
 */
export function findCommand(name: string): CommandDef | undefined {
  return COMMANDS.find((c) => c.name === name);
}
