/**
 * The recipes of SKILL.md: the questions users ask (the seed README's, and
 * failures, ambiguous metrics, restoring code, live runs, write-back), each
 * answered in at most two CLI calls that the tests run.
 *
 * @module
 */

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
  /** At most two CLI calls. */
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

/**
 * The recipes: each question answered in at most two calls. The test runs
 * their steps in this order on one repository, so the in-place checkout
 * (which moves HEAD) comes last.
 */
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
          "rank 1 is the best run (BEST_ID) by its last value (the `by` column), with its metadata (hyperparameters); the next rows are the runners-up. Only finished runs are ranked when any finished: an `exprag: note:` line counts the running/crashed/failed runs left out (--status any includes them)",
      },
    ],
    answer:
      "Name the run id, its final value and hyperparameters. Say that runs are ranked by their last value; rerun with --by max if the user means the peak value. `exprag show BEST_ID` gives the min/max and curve of every metric if asked.",
  },
  {
    question: "Compare the latest two runs and explain what changed.",
    steps: [
      {
        cmd: "exprag compare latest~1 latest",
        read:
          "fields that differ (metadata, status, git), each shared metric's last/min/max in both runs and the change, and the diff command (or a note line when both ran the same code)",
      },
      {
        cmd: "exprag diff latest~1 latest",
        read:
          "the code changes themselves (add --stat first when they may be long: files and line counts only)",
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
        read:
          "the best run (BEST_ID) and the runner-up (SECOND_ID), their values and metadata (hyperparameters) side by side",
      },
      {
        cmd: "exprag diff SECOND_ID BEST_ID",
        read:
          "the code that differs between them (none, with a note line saying so, when both ran the same code)",
      },
    ],
    answer:
      "Attribute the win to the differences found (hyperparameters and code), citing values; if the code is the same, say that the metadata explains it. `exprag compare SECOND_ID BEST_ID` lists every differing field and metric if more is needed.",
  },
  {
    question:
      "Restore the repository to the code state from the run with the lowest loss.",
    steps: [
      {
        cmd: "exprag best value.metrics.val_loss --min",
        read:
          "the run (BEST_ID) with the lowest last validation loss (pick the loss path as in the lowest-loss recipe; --by min ranks by the lowest value reached instead); checkout prints its commit next",
      },
      {
        cmd: "exprag checkout BEST_ID --worktree ../exprag-best",
        read:
          "the directory now holding that run's exact code (the user's checkout is untouched)",
      },
    ],
    answer:
      "Tell the user where the code is (it lacks your ignored files, e.g. `.exprag` and checkpoints: copy or symlink them, never move them). Only if they want their own checkout changed, run `exprag checkout BEST_ID` (see the in-place recipe: refused on uncommitted changes to tracked files or on files it would overwrite; never force it).",
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
    question: "Which runs failed or crashed, and why?",
    steps: [
      {
        cmd:
          "exprag runs --where status != finished --columns id,name,status,status_reason,started",
        read:
          "every run that did not finish: status (failed: the script threw; crashed: its process died without a run_end; interrupted; running: still alive; unknown: another host) and status_reason (a failed run's error message, why a crashed run counts as crashed)",
      },
      {
        cmd: "exprag show RUN_ID",
        read:
          "one run in full: its error, exit code, last values and curves (where a loss became NaN) and metadata",
      },
    ],
    answer:
      "List each run with its status and reason; explain a failure from its error and its last values (a NaN loss: diverged). Add --since to limit the window. A running run is not a failure: check on it with exprag tail RUN_ID.",
  },
  {
    question: "Which run has the lowest loss?",
    steps: [
      {
        cmd: "exprag paths --numeric --contains loss",
        read:
          "every loss path with its counts, e.g. value.metrics.loss (training) and value.metrics.val_loss (validation): pick the one the user means, the validation loss when they do not say",
      },
      {
        cmd: "exprag best value.metrics.val_loss --min",
        read:
          "rank 1 is the run (BEST_ID) with the lowest last value at that path (the `path` and `by` columns say what was ranked)",
      },
    ],
    answer:
      "Name the run and its value, and say which path you ranked by and which other loss paths exist (rank by another with the same command if the user meant it). Add --by min for the lowest value reached rather than the last.",
  },
  {
    question: "Show the metric history for the run where batch size was 32.",
    steps: [
      {
        cmd:
          "exprag runs --where metadata.hparams.batch_size = 32 --columns id,status,started,metadata.hparams.learning_rate",
        read:
          "the run id (RUN_ID); if several, say so and ask, or take the newest finished one (rows are newest first)",
      },
      {
        cmd: "exprag values value --run RUN_ID",
        read:
          "every tracked value in order (step and metrics together), with time, elapsed ms and its line in the run file (the file is named once in a note); at most 200 rows (a note says how many more: --tail N for the last, --every K to thin out); several paths give one column each, e.g. exprag values value.metrics.loss value.metrics.acc --run RUN_ID",
      },
    ],
    answer:
      "Show the history as a table or describe its trend; cite the run file and line for notable values. Put the step path first (e.g. exprag values value.epoch value.metrics.acc --run RUN_ID) when you pick paths, so each row says its step.",
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
      {
        cmd: "exprag compare BEST_ID latest",
        read:
          "their differences: fields, metadata, metrics (last/min/max, curves) and the diff command for their code (a note line when it is the same)",
      },
    ],
    answer:
      "Explain what the latest run does differently and how its metrics compare; run the diff command compare printed (`exprag diff BEST_ID latest --stat`) when the code differs and the user asks how.",
  },
  {
    question:
      "I started training in the background: is it still running, and how is the loss doing?",
    steps: [
      {
        cmd: "exprag runs --limit 1 --columns id,status,started",
        read:
          "the newest run: the one you started when its status is running and it started after you launched it (else wait a few seconds and ask again); use its id (RUN_ID) from now on, since latest moves when another run starts",
      },
      {
        cmd: "exprag tail RUN_ID value.metrics.loss --follow --timeout 60",
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
        read:
          "(RUN_ID from the user, or a dirty run from `exprag git --where git.dirty = true`; a diverged one from `exprag runs --where value.metrics.loss = NaN`) the worktree path, the commit checked out, `branch` (the run's recorded branch, as runs and git show it), `snapshot_ref` (the ref holding a dirty run's snapshot) and `remove_with`",
      },
    ],
    answer:
      'Work in the new worktree (the run\'s submodules are restored in it too); `git worktree remove ../exprag-run` removes it later. It holds only tracked files: your ignored ones (`.exprag` with the runs, checkpoints, data, `.env`) are not there. Copy or symlink the ones the code needs (`ln -s "$PWD/.exprag" ../exprag-run/.exprag`, `cp -r checkpoints ../exprag-run/`), never move them: your checkout still needs them. To restore in your own checkout instead, see the in-place recipe.',
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
  {
    question:
      "Restore that run's code in place, in my own checkout (not a separate worktree).",
    steps: [
      {
        cmd: "exprag diff RUN_ID --stat",
        read:
          "what your checkout has that the run lacks: uncommitted edits to tracked files there block an in-place checkout",
      },
      {
        cmd: "exprag checkout RUN_ID",
        read:
          "`checked_out` (branch run/<run_id> for a dirty run's snapshot, else the commit, detached) and `return_with`, the command that goes back",
      },
    ],
    answer:
      "It refuses (exit 1, nothing changed) on uncommitted changes to tracked files, and on untracked or ignored files it would overwrite or delete (it lists them): then ask the user to commit or stash, or use --worktree; never discard their changes. Other untracked files do not block it and stay. A note line says when HEAD already is the run's code (nothing changed). Give the user `return_with`.",
  },
];
