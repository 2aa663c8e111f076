/**
 * The refs that keep snapshot commits reachable: `refs/heads/run/<run_id>`
 * (a branch), or, when the branch namespace is blocked (a local branch named
 * `run`, or any ref clashing with `refs/heads/run/<run_id>`), the fallback
 * `refs/exprag/runs/<run_id>` (not a branch: `git checkout <commit>` or
 * `git checkout refs/exprag/runs/<run_id>` gives a detached HEAD). Both are
 * created only, never overwritten, and removed only while they still point
 * at the commit they were made for.
 *
 * @module
 */

import { firstError, runGit, runGitRetry } from "./run.ts";

/** The snapshot branch's ref prefix (`refs/heads/run/<run_id>`). */
export const BRANCH_REF_PREFIX = "refs/heads/run/";

/** The fallback ref prefix used when the branch namespace is blocked (`refs/exprag/runs/<run_id>`). */
export const FALLBACK_REF_PREFIX = "refs/exprag/runs/";

/** A ref created for a snapshot. */
export interface StoredRef {
  /** The full ref name. */
  ref: string;
  /** The branch name (`run/<run_id>`), or null for the fallback ref. */
  branch: string | null;
}

/**
 * Creates the ref of a snapshot commit (create-only): the branch
 * `run/<runId>`, else (when that name is blocked by another ref, not when
 * it exists) the fallback ref.
 *
 * @param repo git's leading arguments naming the repository.
 * @param o The run id and the commit.
 * @returns The ref created, or why neither could be.
 */
export function storeSnapshotRef(
  repo: string[],
  o: { runId: string; commit: string },
): StoredRef | string {
  const errors: string[] = [];
  for (const prefix of [BRANCH_REF_PREFIX, FALLBACK_REF_PREFIX]) {
    const ref = `${prefix}${o.runId}`;
    const ur = runGitRetry([
      ...repo,
      "update-ref",
      "-m",
      `exprag: snapshot of run ${o.runId}`,
      ref,
      o.commit,
      "",
    ]);
    if (ur.code === 0) {
      const branch = prefix === BRANCH_REF_PREFIX ? `run/${o.runId}` : null;
      return { ref, branch };
    }
    errors.push(firstError(ur));
    // the ref itself exists (never overwritten): not a blocked namespace
    if (refCommit(repo, ref) !== null) break;
  }
  return `git update-ref failed: ${errors.join("; then: ")}`;
}

/**
 * Deletes a snapshot ref, only while it still points at `commit`.
 *
 * @param repo git's leading arguments naming the repository.
 * @param o The full ref name and the commit it must point at.
 * @returns Whether it was deleted.
 */
export function deleteSnapshotRef(
  repo: string[],
  o: { ref: string; commit: string },
): boolean {
  return runGitRetry([...repo, "update-ref", "-d", o.ref, o.commit])
    .code === 0;
}

/**
 * The commits of every ref under some prefixes, in one `git for-each-ref`
 * (as `refCommit` for each of them).
 *
 * @param repo git's leading arguments naming the repository.
 * @param prefixes Ref prefixes ending in `/` (e.g. `BRANCH_REF_PREFIX`).
 * @returns Full ref name → full commit hash, for the refs that name a commit.
 */
export function refCommits(
  repo: string[],
  prefixes: readonly string[],
): Map<string, string> {
  const r = runGit([
    ...repo,
    "for-each-ref",
    "--format=%(objecttype) %(objectname) %(refname)",
    ...prefixes.map((p) => p.replace(/\/$/, "")),
  ]);
  const out = new Map<string, string>();
  for (const line of r.code === 0 ? r.stdout.split("\n") : []) {
    const m = /^(\S+) ([0-9a-f]{40,64}) (.+)$/.exec(line);
    if (m === null || !prefixes.some((p) => m[3].startsWith(p))) continue;
    // a ref naming a tag: peeled as refCommit peels it
    const sha = m[1] === "commit" ? m[2] : refCommit(repo, m[3]);
    if (sha !== null) out.set(m[3], sha);
  }
  return out;
}

/**
 * The commit a ref points at.
 *
 * @param repo git's leading arguments naming the repository.
 * @param ref The full ref name.
 * @returns The full hash, or null when there is no such ref.
 */
export function refCommit(repo: string[], ref: string): string | null {
  const r = runGit([
    ...repo,
    "rev-parse",
    "--verify",
    "-q",
    "--end-of-options",
    `${ref}^{commit}`,
  ]);
  return r.code === 0 ? r.stdout.trim() : null;
}
