/**
 * `exprag prune`: removes selected runs — their run files, notes files and
 * snapshot refs, with `--remote R` the remote's sync refs — and with
 * `--orphans` snapshot refs without a run and stale temporary files. A dry
 * run unless `--yes`: it lists what it would remove and ends with
 * `dry run: … pass --yes to remove`.
 *
 * Order of removal, per run: the run file first (under our exclusive lock,
 * so never a live run's), then its notes and refs: a failure leaves at
 * worst an orphaned ref, which `--orphans` finds, never a run without its
 * code.
 *
 * @module
 */

import { dirname, join, relative, resolve } from "../path.ts";
import { GitError, UsageError } from "../errors.ts";
import type { RunInfo } from "../query/mod.ts";
import { runsDir } from "../query/mod.ts";
import { recordedStart } from "../query/lazy_run.ts";
import { lstatOrNull } from "../lstat.ts";
import { shownRemote } from "../git/remote.ts";
import { granted } from "../permissions.ts";
import {
  removeStaleTempFile,
  staleAgeMs,
  staleTempNames,
} from "../git/stale.ts";
import { catalog, missingDirNote } from "./common.ts";
import { notesDir } from "../note_record.ts";
import { PULL_TEMP_NAME } from "./pull.ts";
import type { Context } from "./context.ts";
import { json, stderrLine, table } from "./format.ts";
import { checkSelectors, selectRuns } from "./prune_select.ts";
import {
  checkRegularFile,
  notesFileOf,
  type Removal,
  removeNotesFile,
  removeRunFile,
} from "./prune_files.ts";
import {
  checkedOutRefs,
  checkRemote,
  deleteRef,
  deleteRemoteRefs,
  gitPlace,
  type ListedRef,
  orphanRefs,
  remoteCopyKept,
  type RemoteRef,
  remoteRefs,
  runRefs,
  snapshotRefs,
} from "./prune_refs.ts";

/** What one row of the plan is about. */
type Kind =
  | "run_file"
  | "notes_file"
  | "ref"
  | "submodule_ref"
  | "remote_ref"
  | "orphan_ref"
  | "temp_file";

/** One row of the plan, then of the report. */
interface Action {
  /** `remove` (dry run), `removed`, `keep`, or `failed`. */
  action: "remove" | "removed" | "keep" | "failed";
  kind: Kind;
  run: string | null;
  name: string | null;
  status: string | null;
  /** The path, ref (`path: ref` in a submodule, `R ref` on the remote). */
  target: string;
  /** Why it is kept or failed; null otherwise. */
  reason: string | null;
  /** How to do it (not printed). */
  do?: () => Removal;
}

/** The capture's default time limit (60 s) gives an hour: the tracker's own threshold. */
const TEMP_AGE_MS = staleAgeMs(60_000);

/** A path for the report: relative to the current directory when below it. */
function shown(path: string): string {
  const rel = relative(Deno.cwd(), path);
  return rel === "" || rel.startsWith("..") ? path : rel;
}

function about(run: RunInfo): Pick<Action, "run" | "name" | "status"> {
  return { run: run.id, name: run.name, status: run.status };
}

/** The snapshot refs of the repository, its top level, its checked-out branches. */
interface RepoRefs {
  refs: Map<string, ListedRef>;
  top: string;
  checkedOut: Map<string, string>;
}

/** The rows of one selected run, in the order they are removed. */
function runActions(
  ctx: Context,
  run: RunInfo,
  git: RepoRefs | null,
  remote: RemoteRef[],
): Action[] {
  const who = about(run);
  const out: Action[] = [];
  // what the run recorded, read before any check: another prune may have
  // removed the file since the listing (its refs are then that prune's)
  const start = recordedStart(run);
  const file: Removal = start === null
    ? { ok: false, reason: "already gone", gone: true }
    : checkRegularFile(run.file);
  if (!file.ok) {
    return [{
      action: "keep",
      kind: "run_file",
      ...who,
      target: shown(run.file),
      reason: file.reason,
    }];
  }
  out.push({
    action: "remove",
    kind: "run_file",
    ...who,
    target: shown(run.file),
    reason: null,
    do: () => removeRunFile(run.file, run.id),
  });
  const notes = notesFileOf(ctx.dir, run.id);
  if (notes !== null) {
    const ok = checkRegularFile(notes);
    out.push({
      action: ok.ok ? "remove" : "keep",
      kind: "notes_file",
      ...who,
      target: shown(notes),
      reason: ok.ok ? null : ok.reason,
      do: () => removeNotesFile(notes),
    });
  }
  if (git !== null) {
    const { top } = git;
    const recorded = { id: run.id, git: start!.git as RunInfo["git"] };
    for (const r of runRefs(recorded, git.refs, git)) {
      out.push({
        action: r.keep === undefined ? "remove" : "keep",
        kind: r.submodule === undefined ? "ref" : "submodule_ref",
        ...who,
        target: r.submodule === undefined ? r.ref : `${r.submodule}: ${r.ref}`,
        reason: r.keep ?? null,
        do: () => deleteRef(r.ref, r.sha, { submodule: r.submodule, top }),
      });
    }
  }
  const onRemote = remote.filter((x) => x.id === run.id);
  const remoteKeep = remoteCopyKept(onRemote, run);
  for (const r of onRemote) {
    out.push({
      action: remoteKeep === undefined ? "remove" : "keep",
      kind: "remote_ref",
      ...who,
      target: `${shownRemote(String(ctx.options.remote))} ${r.ref}`,
      reason: remoteKeep ?? null,
    });
  }
  return out;
}

/** The rows of `--orphans`: refs without a run, stale temporary files. */
function orphanActions(
  ctx: Context,
  refs: Map<string, ListedRef> | null,
): Action[] {
  const out: Action[] = [];
  if (refs !== null) {
    const known = new Set(catalog(ctx).all().map((r) => r.id));
    const runs = runsDir(ctx.dir);
    const hasFile = (id: string) =>
      lstatOrNull(join(runs, `${id}.jsonl`)) !== null;
    for (const r of orphanRefs(refs, known, hasFile)) {
      out.push({
        action: r.keep === undefined ? "remove" : "keep",
        kind: "orphan_ref",
        run: r.id,
        name: null,
        status: null,
        target: r.ref,
        reason: r.keep ?? null,
        do: () =>
          hasFile(r.id)
            ? { ok: false, reason: "its run file appeared meanwhile" }
            : deleteRef(r.ref, r.sha),
      });
    }
  }
  // the capture's files in the tracker's directory (the parent of runs/,
  // also for --dir …/runs), pull's in runs/ and notes/
  const top = dirname(runsDir(ctx.dir));
  const places: [string, RegExp | undefined][] = [
    [top, undefined],
    [runsDir(ctx.dir), PULL_TEMP_NAME],
    [notesDir(top), PULL_TEMP_NAME],
  ];
  for (const [tempDir, pattern] of places) {
    for (const name of staleTempNames(tempDir, TEMP_AGE_MS, { pattern })) {
      out.push({
        action: "remove",
        kind: "temp_file",
        run: null,
        name: null,
        status: null,
        target: shown(join(tempDir, name)),
        reason: null,
        do: () =>
          removeStaleTempFile(tempDir, name, { ageMs: TEMP_AGE_MS, pattern })
            ? { ok: true }
            : { ok: false, reason: "no longer a stale temporary file" },
      });
    }
  }
  return out;
}

/** Carries out one row. */
function perform(a: Action): void {
  if (a.action !== "remove" || a.do === undefined) return;
  const r = a.do();
  if (r.ok) a.action = "removed";
  else {
    a.action = r.gone ? "keep" : "failed";
    a.reason = r.reason;
  }
}

/** Carries out the rows of one run: the run file first, the rest only once it is gone. */
function performRun(rows: Action[]): void {
  const [file, ...rest] = rows;
  perform(file);
  const gone = file.action === "removed" || file.reason === "already gone";
  for (const a of rest) {
    if (!gone) {
      if (a.action === "remove") {
        a.action = "keep";
        a.reason = "its run file was kept";
      }
      continue;
    }
    if (a.kind === "remote_ref") continue; // in one push, after every run
    perform(a);
  }
}

/** `N runs, M files, K refs` of the rows with an action. */
function summary(rows: readonly Action[], action: Action["action"]): string {
  const runs = rows.filter((a) => a.action === action && a.kind === "run_file")
    .length;
  const files = rows.filter((a) =>
    a.action === action &&
    (a.kind === "notes_file" || a.kind === "temp_file")
  ).length;
  const refs =
    rows.filter((a) =>
      a.action === action && a.kind !== "run_file" && a.kind !== "notes_file" &&
      a.kind !== "temp_file"
    ).length;
  const n = (k: number, w: string) => `${k} ${w}${k === 1 ? "" : "s"}`;
  return `${n(runs, "run")}, ${n(files, "other file")}, ${n(refs, "ref")}`;
}

/**
 * Runs `prune`.
 *
 * @param ctx The invocation.
 * @returns The exit code: 0, or 1 when a removal failed.
 */
export async function run(ctx: Context): Promise<number> {
  checkSelectors(ctx);
  const remote = ctx.options.remote as string | undefined;
  if (remote !== undefined) checkRemote(remote);
  const yes = ctx.options.yes === true;
  const sel = await selectRuns(ctx);
  const notes = [...sel.notes];
  const place = gitPlace();
  let refs: Map<string, ListedRef> | null = null;
  let git: RepoRefs | null = null;
  if ("top" in place) {
    refs = snapshotRefs();
    git = { refs, top: place.top, checkedOut: checkedOutRefs() };
  } else {
    if (remote !== undefined) {
      throw new UsageError(
        `--remote needs git and a repository: ${place.unavailable}`,
        "prune",
      );
    }
    notes.push(
      `snapshot refs not checked: ${place.unavailable}${
        sel.runs.length > 0
          ? " (refs of removed runs stay: exprag prune --orphans, with git, finds them)"
          : ""
      }`,
    );
  }
  let remoteListed: RemoteRef[] = [];
  if (remote !== undefined && sel.runs.length > 0) {
    const listed = remoteRefs(remote, new Set(sel.runs.map((r) => r.id)));
    if ("error" in listed) {
      // removed here but not there, the runs would come back with the
      // next pull, and no prune could select them again
      throw new GitError(
        `--remote ${shownRemote(remote)}: git ls-remote`,
        `${listed.error}; nothing removed`,
      );
    }
    remoteListed = listed;
  }
  const perRun = sel.runs.map((r) => runActions(ctx, r, git, remoteListed));
  if (git !== null) {
    const elsewhere = otherRepositories(sel.runs, perRun, git.top);
    if (elsewhere !== undefined) notes.push(elsewhere);
  }
  const kept: Action[] = sel.protected.map((p) => ({
    action: "keep",
    kind: "run_file",
    ...about(p.run),
    target: shown(p.run.file),
    reason: p.reason,
  }));
  const orphans = ctx.options.orphans === true ? orphanActions(ctx, refs) : [];
  if (yes) {
    for (const rows of perRun) performRun(rows);
    const remoteRows = perRun.flat().filter((a) =>
      a.kind === "remote_ref" && a.action === "remove"
    );
    if (remote !== undefined && remoteRows.length > 0) {
      const byTarget = new Map(
        remoteListed.map((r) => [`${shownRemote(remote)} ${r.ref}`, r]),
      );
      const done = deleteRemoteRefs(
        remote,
        remoteRows.map((a) => byTarget.get(a.target)!),
      );
      for (const a of remoteRows) {
        const r = done.get(byTarget.get(a.target)!.ref)!;
        a.action = r.ok ? "removed" : "failed";
        a.reason = r.ok ? null : r.reason;
      }
    }
    for (const a of orphans) perform(a);
  }
  const rows = [...perRun.flat(), ...kept, ...orphans];
  if (rows.length === 0 && !selectsNothingNoted(ctx, notes)) {
    notes.push("nothing selected");
  }
  for (const n of ctx.json ? [] : notes) stderrLine(`exprag: note: ${n}`);
  const failed = rows.some((a) => a.action === "failed");
  const last = yes
    ? `removed ${summary(rows, "removed")}${
      failed ? "; some removals failed (see the failed rows)" : ""
    }`
    : `dry run: would remove ${summary(rows, "remove")}; pass --yes to remove`;
  if (ctx.json) {
    json(ctx.out, {
      dry_run: !yes,
      actions: rows.map(({ do: _, ...a }) => a),
      notes,
      summary: last,
    });
    return failed ? 1 : 0;
  }
  if (rows.length > 0) {
    table(
      ctx.out,
      ["action", "kind", "run", "name", "status", "target", "reason"],
      rows.map((a) => [
        a.action,
        a.kind,
        a.run,
        a.name,
        a.status,
        a.target,
        a.reason,
      ]),
    );
    ctx.out.line();
  }
  ctx.out.line(last);
  return failed ? 1 : 0;
}

/** A directory's real path, or the path resolved when it may not be read. */
function real(path: string): string {
  if (!granted({ name: "read", path })) return resolve(path); // never a prompt
  try {
    return Deno.realPathSync(path);
  } catch {
    return resolve(path);
  }
}

/**
 * The note for selected runs whose snapshot ref lives in another
 * repository than the current directory's (their recorded `git.toplevel`):
 * their refs are not removed from here.
 */
function otherRepositories(
  runs: readonly RunInfo[],
  perRun: readonly Action[][],
  top: string,
): string | undefined {
  const here = real(top);
  const tops = new Set<string>();
  runs.forEach((run, i) => {
    const g = (run.git ?? {}) as Record<string, unknown>;
    const snapshot = g.branch === `run/${run.id}` ||
      g.ref === `refs/exprag/runs/${run.id}`;
    if (!snapshot || typeof g.toplevel !== "string") return;
    if (perRun[i].some((a) => a.kind === "ref")) return;
    if (real(g.toplevel) !== here) tops.add(g.toplevel);
  });
  if (tops.size === 0) return undefined;
  const list = [...tops].slice(0, 3).join(", ");
  return `some selected runs recorded their snapshot ref in another repository (${list}${
    tops.size > 3 ? ", ..." : ""
  }): run exprag prune there to remove those refs`;
}

/** Adds the missing-directory note when there is no runs directory; whether it did. */
function selectsNothingNoted(ctx: Context, notes: string[]): boolean {
  const note = missingDirNote(ctx);
  if (note === undefined) return false;
  notes.push(note);
  return true;
}
