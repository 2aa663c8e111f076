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
 * Revisions (`HEAD`, `HEAD^{tree}`) may be asked in the same call: they
 * come last, after `--revs-only` (a revision that does not resolve, as on
 * an unborn branch, then prints nothing instead of failing the call).
 *
 * Requires `--allow-run=git` (callers query it first).
 *
 * @module
 */

import type { GitResult } from "./exec.ts";
import { runGit } from "./run.ts";

/** The answers of {@linkcode revParse}, or the failed call. */
export type RevParseResult =
  | {
    ok: true;
    answers: string[];
    /** The object ids of the revisions asked, or null when not all resolved (or none asked). */
    revs: string[] | null;
  }
  | { ok: false; failed: GitResult };

/** Newlines in `s`. */
function newlines(s: string): number {
  let n = 0;
  for (let i = s.indexOf("\n"); i !== -1; i = s.indexOf("\n", i + 1)) n++;
  return n;
}

/** An object id: 40 (SHA-1) or 64 (SHA-256) hex digits. */
const OID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/** The revisions' ids when `lines` are exactly one id per revision, else null. */
function revIds(lines: string[], revs: readonly string[]): string[] | null {
  return revs.length > 0 && lines.length === revs.length &&
      lines.every((l) => OID.test(l))
    ? lines
    : null;
}

/**
 * Runs `git <lead> rev-parse <question...>`, each question answering one
 * line (`--show-toplevel`, `--show-prefix`, `--git-path index`, ...).
 *
 * @param lead git's leading arguments (`-C dir`, `--git-dir=...`).
 * @param questions The questions, each as its arguments.
 * @param options `revs`: revisions to resolve in the same call.
 * @returns One answer per question, exact even for paths holding a
 *   newline, and the revisions' ids (null unless all resolved); or the
 *   failed call.
 */
export function revParse(
  lead: readonly string[],
  questions: readonly (readonly string[])[],
  options: { revs?: readonly string[] } = {},
): RevParseResult {
  const revs = options.revs ?? [];
  const tail = revs.length > 0 ? ["--revs-only", ...revs] : [];
  const all = runGit([...lead, "rev-parse", ...questions.flat(), ...tail]);
  if (all.code !== 0) return { ok: false, failed: all };
  const n = newlines(all.stdout);
  if (all.stdout.endsWith("\n")) {
    const lines = all.stdout.slice(0, -1).split("\n");
    const ids = revIds(lines.slice(questions.length), revs);
    // object ids after the paths: exact unless a path ends in newline-separated
    // object ids on an unborn HEAD (callers compare the ids with status's HEAD)
    if (n === questions.length + revs.length && ids !== null) {
      return { ok: true, answers: lines.slice(0, questions.length), revs: ids };
    }
    if (n === questions.length) {
      return { ok: true, answers: lines, revs: null };
    }
  }
  const answers: string[] = [];
  for (const q of questions) {
    const one = runGit([...lead, "rev-parse", ...q]);
    if (one.code !== 0) return { ok: false, failed: one };
    answers.push(one.stdout.replace(/\n$/, ""));
  }
  if (revs.length === 0) return { ok: true, answers, revs: null };
  const r = runGit([...lead, "rev-parse", ...tail]);
  const lines = r.code === 0 ? r.stdout.replace(/\n$/, "").split("\n") : [];
  return { ok: true, answers, revs: revIds(lines, revs) };
}
