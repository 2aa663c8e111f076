/**
 * The git refs `exprag prune` removes, and only those: a removed run's
 * snapshot ref (`refs/heads/run/<id>` or the fallback
 * `refs/exprag/runs/<id>`, see src/git/refs.ts) while it points at the
 * commit the run recorded, its submodule snapshot refs likewise, orphaned
 * snapshot refs (no run file; an exprag snapshot commit older than an
 * hour: a run being started creates its ref before its file), and on a
 * remote the sync refs `refs/exprag/sync/{runs,notes,code}/<id>`. Every
 * local deletion is `git update-ref -d REF OLD`: a ref that moved since it
 * was listed is not deleted; a remote deletion carries
 * `--force-with-lease=REF:OLD` likewise.
 *
 * Requires `--allow-run=git` (checked by cli.ts).
 *
 * @module
 */

import { join } from "../path.ts";
import { GitNotFoundError, UsageError } from "../errors.ts";
import type { RunInfo } from "../query/mod.ts";
import { isValidRunId } from "../query/mod.ts";
import { PUSH_OPTIONS, pushConfig, remoteGit } from "../git/remote.ts";
import { fileEntry, hasCommit, readBlob } from "../git/sync_objects.ts";
import { readOrNull, startsWith } from "./sync_common.ts";
import { firstError, runGit } from "../git/run.ts";
import {
  BRANCH_REF_PREFIX,
  deleteSnapshotRef,
  FALLBACK_REF_PREFIX,
  refCommit,
} from "../git/refs.ts";
import { isHexCommit, isSafeSubPath } from "./gitsafe.ts";
import type { Removal } from "./prune_files.ts";

/** The repository refs are looked up in, or why they cannot be. */
export type GitPlace = { top: string } | { unavailable: string };

/**
 * The repository around the current directory.
 *
 * @returns Its top level, or why refs cannot be checked (no git, not a repository).
 */
export function gitPlace(): GitPlace {
  try {
    const r = runGit(["rev-parse", "--show-toplevel"]);
    if (r.code !== 0) {
      return { unavailable: `not inside a git repository (${firstError(r)})` };
    }
    return { top: r.stdout.replace(/\n$/, "") };
  } catch (e) {
    if (e instanceof GitNotFoundError) return { unavailable: e.message };
    throw e;
  }
}

/** A local ref as listed. */
export interface ListedRef {
  /** The full name. */
  ref: string;
  /** The commit it points at (full hash). */
  sha: string;
  /** Committer time of the commit, seconds since the epoch. */
  time: number;
  /** The commit's subject line. */
  subject: string;
}

/** A UUID: the run ids the tracker makes (orphans are judged only for these). */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The refs in the snapshot namespaces, by name, in one git call.
 *
 * @returns `refs/heads/run/…` and `refs/exprag/runs/…` refs.
 */
export function snapshotRefs(): Map<string, ListedRef> {
  const r = runGit([
    "for-each-ref",
    "--format=%(refname)%00%(objectname)%00%(committerdate:unix)%00%(contents:subject)",
    BRANCH_REF_PREFIX,
    FALLBACK_REF_PREFIX,
  ]);
  const out = new Map<string, ListedRef>();
  if (r.code !== 0) return out;
  for (const line of r.stdout.split("\n")) {
    const [ref, sha, time, subject] = line.split("\0");
    if (ref === undefined || sha === undefined) continue;
    out.set(ref, { ref, sha, time: Number(time), subject: subject ?? "" });
  }
  return out;
}

/**
 * The branches checked out in the repository's worktrees (the main one and
 * the linked ones): deleting one would leave its HEAD on a missing branch.
 *
 * @param repo git's leading arguments naming the repository.
 * @returns Full ref names, each with the worktree it is checked out in.
 */
export function checkedOutRefs(repo: string[] = []): Map<string, string> {
  const r = runGit([...repo, "worktree", "list", "--porcelain", "-z"]);
  const out = new Map<string, string>();
  if (r.code !== 0) return out;
  let at = "";
  for (const field of r.stdout.split("\0")) {
    if (field.startsWith("worktree ")) at = field.slice(9);
    else if (field.startsWith("branch ")) out.set(field.slice(7), at);
  }
  return out;
}

/** Why a ref that is checked out stays. */
function checkedOutReason(where: string): string {
  return `checked out in ${where}: switch that worktree to another branch first`;
}

/** One ref of a run: to remove, or kept with the reason. */
export interface RefPlan {
  /** The full name (for a submodule: in that repository). */
  ref: string;
  /** The commit it points at (the old value its deletion requires). */
  sha: string;
  /** For a submodule ref: the submodule's path from the top level. */
  submodule?: string;
  /** Why it stays, or undefined to remove it. */
  keep?: string;
}

/** Whether a listed commit is the recorded (possibly abbreviated) one. */
function isRecorded(sha: string, recorded: unknown): boolean {
  return isHexCommit(recorded) && sha.startsWith(recorded);
}

/**
 * Why a run's ref stays: it is checked out in a worktree, or it moved off
 * the recorded commit; undefined to remove it.
 */
function keepReason(
  sha: string,
  recorded: unknown,
  checkedOutIn: string | undefined,
): string | undefined {
  if (checkedOutIn !== undefined) return checkedOutReason(checkedOutIn);
  if (isRecorded(sha, recorded)) return undefined;
  return `moved: points at ${sha.slice(0, 12)}, the run recorded ${
    isHexCommit(recorded) ? recorded.slice(0, 12) : "no commit"
  }`;
}

/**
 * The snapshot refs of a run present in the repository: its own names
 * only, to remove while they point at the recorded commit, kept (with the
 * reason) when they moved.
 *
 * @param run The run's id and recorded git state.
 * @param refs The listed snapshot refs.
 * @param o The repository's top level (for submodule refs) and the
 *   branches checked out in its worktrees.
 * @returns The refs found.
 */
export function runRefs(
  run: Pick<RunInfo, "id" | "git">,
  refs: Map<string, ListedRef>,
  o: { top: string; checkedOut: Map<string, string> },
): RefPlan[] {
  const { top, checkedOut } = o;
  if (!isValidRunId(run.id)) return [];
  const g = (run.git ?? {}) as Record<string, unknown>;
  const out: RefPlan[] = [];
  for (const prefix of [BRANCH_REF_PREFIX, FALLBACK_REF_PREFIX]) {
    const found = refs.get(`${prefix}${run.id}`);
    if (found === undefined) continue;
    out.push({
      ref: found.ref,
      sha: found.sha,
      keep: keepReason(found.sha, g.commit, checkedOut.get(found.ref)),
    });
  }
  const subs = Array.isArray(g.submodules) ? g.submodules : [];
  for (const s of subs) {
    const { path, commit, ref } = (s ?? {}) as Record<string, unknown>;
    const own = [BRANCH_REF_PREFIX, FALLBACK_REF_PREFIX].map((p) =>
      `${p}${run.id}`
    );
    if (
      !isSafeSubPath(path) || !isHexCommit(commit) ||
      typeof ref !== "string" || !own.includes(ref)
    ) continue;
    const sub = ["-C", join(top, path)];
    const sha = refCommit(sub, ref);
    if (sha === null) continue;
    out.push({
      ref,
      sha,
      submodule: path,
      keep: keepReason(sha, commit, checkedOutRefs(sub).get(ref)),
    });
  }
  return out;
}

/** A snapshot commit younger than this may belong to a run being started. */
export const ORPHAN_MIN_AGE_S = 60 * 60;

/**
 * Snapshot refs without a run: named `run/<uuid>` or
 * `refs/exprag/runs/<uuid>`, pointing at a commit whose subject is the
 * tracker's (`exprag snapshot of run <uuid>`) made more than an hour ago,
 * with no listed run of that id and no file `runs/<uuid>.jsonl`.
 *
 * @param refs The listed snapshot refs.
 * @param known The ids of every listed run.
 * @param hasFile Whether a run file of the id is at its path.
 * @returns The orphaned refs, with the run id each names (`keep`: why
 *   one that is checked out stays).
 */
export function orphanRefs(
  refs: Map<string, ListedRef>,
  known: ReadonlySet<string>,
  hasFile: (id: string) => boolean,
): (ListedRef & { id: string; keep?: string })[] {
  const checkedOut = checkedOutRefs();
  const now = Date.now() / 1000;
  const out: (ListedRef & { id: string; keep?: string })[] = [];
  for (const r of refs.values()) {
    const prefix = r.ref.startsWith(BRANCH_REF_PREFIX)
      ? BRANCH_REF_PREFIX
      : FALLBACK_REF_PREFIX;
    const id = r.ref.slice(prefix.length);
    if (!UUID.test(id) || known.has(id) || hasFile(id)) continue;
    if (r.subject !== `exprag snapshot of run ${id}`) continue;
    if (!(now - r.time > ORPHAN_MIN_AGE_S)) continue;
    const where = checkedOut.get(r.ref);
    out.push({
      ...r,
      id,
      keep: where === undefined ? undefined : checkedOutReason(where),
    });
  }
  return out.sort((a, b) => a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0);
}

/**
 * Deletes a ref while it points at `sha` (`git update-ref -d REF SHA`).
 *
 * @param ref The full name.
 * @param sha The commit it must still point at.
 * @param submodule The submodule path (from `top`), for a submodule's ref.
 * @param top The top level (for submodule refs).
 * @returns `{ ok: true }`, or why it stays.
 */
export function deleteRef(
  ref: string,
  sha: string,
  o: { submodule?: string; top?: string } = {},
): Removal {
  const repo = o.submodule === undefined || o.top === undefined
    ? []
    : ["-C", join(o.top, o.submodule)];
  if (deleteSnapshotRef(repo, { ref, commit: sha })) return { ok: true };
  const now = refCommit(repo, ref);
  if (now === null) return { ok: false, reason: "already gone", gone: true };
  if (now !== sha) {
    return {
      ok: false,
      reason: `moved meanwhile: points at ${now.slice(0, 12)}`,
    };
  }
  return { ok: false, reason: "git update-ref -d failed" };
}

/** The remote's ref namespaces of a run (fixed by push/pull). */
export const SYNC_KINDS = ["runs", "notes", "code"] as const;

/** The prefix of the remote's sync refs. */
export const SYNC_PREFIX = "refs/exprag/sync/";

/**
 * Checks a remote name or URL given with `--remote`.
 *
 * @param remote The value.
 * @throws {UsageError} When it could be read as an option.
 */
export function checkRemote(remote: string): void {
  // deno-lint-ignore no-control-regex
  if (remote.startsWith("-") || /[\x00-\x1f]/.test(remote)) {
    throw new UsageError(
      `--remote: ${JSON.stringify(remote)} is not a remote name or URL`,
      "prune",
    );
  }
}

/** A remote ref as listed. */
export interface RemoteRef {
  /** The full name. */
  ref: string;
  /** The object it points at. */
  sha: string;
  /** The run it belongs to. */
  id: string;
}

/**
 * The sync refs of the given runs on a remote (`git ls-remote`).
 *
 * @param remote The remote name or URL (checked).
 * @param ids The runs.
 * @returns The refs found, or why the remote could not be listed.
 */
export function remoteRefs(
  remote: string,
  ids: ReadonlySet<string>,
): RemoteRef[] | { error: string } {
  const r = remoteGit(["ls-remote", "--refs", remote, `${SYNC_PREFIX}*`], {});
  if (r.code !== 0) return { error: firstError(r) };
  const wanted = new Map<string, string>();
  for (const id of ids) {
    for (const k of SYNC_KINDS) wanted.set(`${SYNC_PREFIX}${k}/${id}`, id);
  }
  const out: RemoteRef[] = [];
  for (const line of r.stdout.split("\n")) {
    const [sha, ref] = line.split("\t");
    const id = ref === undefined ? undefined : wanted.get(ref);
    if (id !== undefined && /^[0-9a-f]{40,64}$/.test(sha)) {
      out.push({ ref, sha, id });
    }
  }
  return out.sort((a, b) => a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0);
}

/**
 * Why a run's refs on the remote stay although its file here goes: the
 * remote's run file is not this file or a part of it (another machine
 * pushed more of the run since this copy was pulled, e.g. a run that looks
 * crashed here because it was pulled while it ran), or this repository
 * does not hold the remote's commit to compare. Deleting those refs could
 * lose the only complete copy.
 *
 * @param refs The run's refs on the remote.
 * @param o The run's id and file here.
 * @returns The reason, or undefined when the refs may go.
 */
export function remoteCopyKept(
  refs: readonly RemoteRef[],
  o: { id: string; file: string },
): string | undefined {
  const runRef = refs.find((r) => r.ref === `${SYNC_PREFIX}runs/${o.id}`);
  if (runRef === undefined) return undefined;
  if (!hasCommit(runRef.sha)) {
    return "the remote's copy of the run is not known here (exprag pull first)";
  }
  const entry = fileEntry(runRef.sha, `${o.id}.jsonl`);
  if (entry === null) return undefined; // no run file in it: nothing to lose
  const local = readOrNull(o.file) ?? new Uint8Array();
  if (entry.size <= local.length && startsWith(local, readBlob(entry.blob))) {
    return undefined;
  }
  return "the remote's copy of the run has more than this one (another machine pushed it since: exprag pull first)";
}

/**
 * Deletes sync refs on a remote in one `git push --porcelain`, each only
 * while it still points at the object listed (`--force-with-lease`).
 *
 * @param remote The remote (checked).
 * @param refs The refs.
 * @returns The outcome per ref name.
 */
export function deleteRemoteRefs(
  remote: string,
  refs: readonly RemoteRef[],
): Map<string, Removal> {
  const out = new Map<string, Removal>();
  if (refs.length === 0) return out;
  const r = remoteGit([
    ...pushConfig(remote),
    "push",
    ...PUSH_OPTIONS,
    ...refs.map((x) => `--force-with-lease=${x.ref}:${x.sha}`),
    remote,
    ...refs.map((x) => `:${x.ref}`),
  ], {});
  for (const line of r.stdout.split("\n")) {
    // `<flag>\t:<ref>\t<summary> (<reason>)`; `-` deleted, `!` rejected
    const [flag, spec, summary] = line.split("\t");
    if (spec === undefined || !spec.startsWith(":")) continue;
    const ref = spec.slice(1);
    out.set(
      ref,
      flag === "-"
        ? { ok: true }
        : { ok: false, reason: `git push: ${summary ?? "rejected"}` },
    );
  }
  for (const x of refs) {
    if (!out.has(x.ref)) {
      out.set(x.ref, {
        ok: false,
        reason: `git push failed: ${firstError(r)}`,
      });
    }
  }
  return out;
}
