/**
 * Asking `git rev-parse` several questions whose answers are paths, without
 * ever mistaking a newline inside a path for the end of an answer.
 *
 * rev-parse has no `-z`: it prints each answer raw, followed by one `\n`.
 * One call answers every question; when its output holds exactly one `\n`
 * per question, no answer contains a newline and the split is exact (the
 * common case, one spawn). Otherwise some path holds a newline: each
 * question is asked alone and its answer is the output minus the one `\n`
 * git appends.
 *
 * Requires `--allow-run=git` (callers query it first).
 *
 * @module
 */

import type { GitResult } from "./exec.ts";
import { runGit } from "./run.ts";

/** The answers of {@linkcode revParse}, or the failed call. */
export type RevParseResult =
  | { ok: true; answers: string[] }
  | { ok: false; failed: GitResult };

/** Newlines in `s`. */
function newlines(s: string): number {
  let n = 0;
  for (let i = s.indexOf("\n"); i !== -1; i = s.indexOf("\n", i + 1)) n++;
  return n;
}

/**
 * Runs `git <lead> rev-parse <question...>`, each question answering one
 * line (`--show-toplevel`, `--show-prefix`, `--git-path index`, ...).
 *
 * @param lead git's leading arguments (`-C dir`, `--git-dir=...`).
 * @param questions The questions, each as its arguments.
 * @returns One answer per question, exact even for paths holding a
 *   newline; or the failed call.
 */
export function revParse(
  lead: readonly string[],
  questions: readonly (readonly string[])[],
): RevParseResult {
  const all = runGit([...lead, "rev-parse", ...questions.flat()]);
  if (all.code !== 0) return { ok: false, failed: all };
  if (newlines(all.stdout) === questions.length && all.stdout.endsWith("\n")) {
    return { ok: true, answers: all.stdout.slice(0, -1).split("\n") };
  }
  const answers: string[] = [];
  for (const q of questions) {
    const one = runGit([...lead, "rev-parse", ...q]);
    if (one.code !== 0) return { ok: false, failed: one };
    answers.push(one.stdout.replace(/\n$/, ""));
  }
  return { ok: true, answers };
}
