/**
 * `exprag diff RUN_A [RUN_B] [--stat] [--path PATH]...`: the code
 * difference between two runs' commits, or (one run) between the run's
 * commit and the current worktree as a snapshot would see it, leaving out
 * the exprag directory. Identical code prints no diff and one
 * `exprag: note:` line saying so.
 *
 * @module
 */

import { resolveRef } from "./common.ts";
import type { Context } from "./context.ts";
import { json, stderrLine } from "./format.ts";
import {
  git,
  gitFailure,
  pathspecsExcluding,
  type RunCode,
  runCode,
  toplevel,
} from "./gitsafe.ts";
import { confinedPath } from "./repo_path.ts";
import { worktreeTree } from "./worktree_tree.ts";
import { budgetedDiff, lineCount, MAX_DIFF_LINES } from "./diff_budget.ts";

/** The pathspecs: the given paths (literal, from the top level), minus the exprag directory. */
function pathspecs(ctx: Context, top: string): string[] {
  const specs = pathspecsExcluding(ctx.dir, top);
  const paths = (ctx.options.path ?? []) as string[];
  if (paths.length === 0) return specs;
  return [
    ...paths.map((p) => `:(top,literal)${confinedPath(p, "diff: --path")}`),
    ...specs.slice(1),
  ];
}

/** The note for a diff that came out empty. */
function sameCodeNote(
  a: RunCode,
  b: RunCode | null,
  filtered: boolean,
): string {
  const where = filtered ? " in the given paths" : "";
  if (b === null) {
    return `run ${a.run}'s code (commit ${a.sha}) is the same as your current worktree: no code difference${where}`;
  }
  if (a.sha === b.sha) {
    return `both runs ran commit ${a.sha}: no code difference${where}`;
  }
  return `runs ${a.run} and ${b.run} ran the same code (commits ${a.sha} and ${b.sha}): no code difference${where}`;
}

/**
 * Runs `diff`.
 *
 * @param ctx The invocation.
 * @returns The exit code.
 */
export async function run(ctx: Context): Promise<number> {
  const a = await resolveRef(ctx, ctx.args[0]);
  const b = ctx.args.length > 1 ? await resolveRef(ctx, ctx.args[1]) : null;
  const top = toplevel();
  const specs = pathspecs(ctx, top);
  const ca = runCode(a);
  const cb = b === null ? null : runCode(b);
  // the new side: the other run's commit, or a tree of the worktree
  const other = cb === null ? worktreeTree(ctx.dir, top) : cb.sha;
  const stat = ctx.options.stat === true;
  const args = ["diff", "--no-color", "--no-ext-diff", "--no-textconv"];
  if (stat) args.push("--stat");
  // Both revisions are full hashes from rev-parse --verify or write-tree; never options.
  args.push("--end-of-options", ca.sha, other, "--", ...specs);
  const r = git(args);
  if (r.code !== 0) throw gitFailure("git diff", r);
  const codes = cb === null || ca.run === cb.run ? [ca] : [ca, cb];
  for (const c of codes) {
    if (c.uncaptured === null) continue;
    stderrLine(
      `exprag: note: run ${c.run} was dirty but its uncommitted edits were not captured (${c.uncaptured}): its side of the diff is only its base commit`,
    );
  }
  // an uncaptured side already has its note: its commit is not its code
  if (r.stdout === "" && codes.every((c) => c.uncaptured === null)) {
    stderrLine(
      `exprag: note: ${sameCodeNote(ca, cb, ctx.options.path !== undefined)}`,
    );
  }
  const command = `git diff${stat ? " --stat" : ""} ${ca.sha} ${other}`;
  const lines = lineCount(r.stdout);
  if (
    !ctx.json && !stat && ctx.options.full !== true && lines > MAX_DIFF_LINES
  ) {
    const cut = budgetedDiff(args.slice(0, args.indexOf("--")), {
      specs,
      lines,
    });
    if (cut !== null) {
      ctx.out.write(cut.text);
      stderrLine(`exprag: note: ${cut.note}`);
      return 0;
    }
    args.splice(4, 0, "--stat");
    const st = git(args);
    if (st.code !== 0) throw gitFailure("git diff --stat", st);
    ctx.out.write(st.stdout);
    stderrLine(
      `exprag: note: the diff is ${lines} lines (more than ${MAX_DIFF_LINES}): shown as --stat; --path PATH shows one file's diff, --full the whole diff`,
    );
    return 0;
  }
  if (ctx.json) {
    json(ctx.out, {
      a: { id: a.id, commit: ca.sha },
      b: b === null || cb === null
        ? { worktree: true, tree: other }
        : { id: b.id, commit: cb.sha },
      stat,
      command,
      diff: r.stdout,
    });
  } else {
    ctx.out.write(r.stdout);
  }
  return 0;
}
