/**
 * The git objects `exprag push` builds and `exprag pull` reads: a blob of
 * a file's bytes, a commit whose tree holds that one blob, and the blob
 * back out of such a commit. Made with `git hash-object -w --stdin`,
 * `git mktree` and `git commit-tree` in the object database only: the
 * user's index, HEAD, branches and files are never touched.
 *
 * The commits are deterministic (fixed author, committer and date, never
 * signed): the same bytes on the same parent give the same commit on every
 * machine, so two pushers of identical content agree.
 *
 * Requires `--allow-run=git` (callers query it first).
 *
 * @module
 */

import { firstError, runGit, runGitInput, runGitRaw } from "./run.ts";

/** Author, committer and date of every sync commit (deterministic). */
const SYNC_IDENTITY: Record<string, string> = {
  GIT_AUTHOR_NAME: "exprag",
  GIT_AUTHOR_EMAIL: "exprag@localhost",
  GIT_AUTHOR_DATE: "946684800 +0000",
  GIT_COMMITTER_NAME: "exprag",
  GIT_COMMITTER_EMAIL: "exprag@localhost",
  GIT_COMMITTER_DATE: "946684800 +0000",
};

const decoder = new TextDecoder();

/** git failed while building or reading sync objects. */
export class SyncObjectError extends Error {
  /**
   * Makes the error.
   *
   * @param what The git command.
   * @param out Its output.
   */
  constructor(what: string, out: { code: number; stderr: string }) {
    super(`git ${what} failed: ${firstError(out)}`);
    this.name = "SyncObjectError";
  }
}

/**
 * Hashes bytes as a blob, writing it to the object database when `write`.
 *
 * @param bytes The content.
 * @param write Whether to store the blob (`-w`).
 * @returns The blob's hash.
 * @throws {SyncObjectError} When git fails.
 */
export async function hashBlob(
  bytes: Uint8Array,
  write: boolean,
): Promise<string> {
  const args = ["hash-object", ...(write ? ["-w"] : []), "--stdin"];
  const out = await runGitInput(args, bytes);
  if (out.code !== 0) throw new SyncObjectError("hash-object", out);
  return decoder.decode(out.stdout).trim();
}

/**
 * Makes the commit of one file: a tree holding `name` → `blob`, with
 * `parent` (the remote's previous commit of the same ref) when given.
 *
 * @param o The file name in the tree, its blob, the parent, the message.
 * @returns The commit's hash.
 * @throws {SyncObjectError} When git fails.
 */
export async function fileCommit(
  o: { name: string; blob: string; parent: string | null; message: string },
): Promise<string> {
  const tree = await runGitInput(
    ["mktree"],
    new TextEncoder().encode(`100644 blob ${o.blob}\t${o.name}\n`),
  );
  if (tree.code !== 0) throw new SyncObjectError("mktree", tree);
  const args = ["commit-tree", "--no-gpg-sign", "-m", o.message];
  if (o.parent !== null) args.push("-p", o.parent);
  args.push(decoder.decode(tree.stdout).trim());
  const ct = runGit(args, SYNC_IDENTITY);
  if (ct.code !== 0) throw new SyncObjectError("commit-tree", ct);
  return ct.stdout.trim();
}

/** The blob of a file in a sync commit. */
export interface FileEntry {
  /** The blob's hash. */
  blob: string;
  /** Its size in bytes. */
  size: number;
}

/**
 * The blob named `name` at the top of a commit's tree.
 *
 * @param commit The commit (a full hash).
 * @param name The file name.
 * @returns The blob and its size, or null when the tree has no such blob.
 */
export function fileEntry(commit: string, name: string): FileEntry | null {
  // --full-tree: the name is at the top of the tree, wherever git runs
  const r = runGit(["ls-tree", "-l", "-z", "--full-tree", commit, "--", name]);
  if (r.code !== 0) return null;
  for (const entry of r.stdout.split("\0")) {
    const m = /^100644 blob ([0-9a-f]{40,64}) +(\d+)\t(.*)$/s.exec(entry);
    if (m !== null && m[3] === name) {
      return { blob: m[1], size: Number(m[2]) };
    }
  }
  return null;
}

/**
 * A blob's bytes.
 *
 * @param blob The blob's hash.
 * @returns Its content.
 * @throws {SyncObjectError} When git cannot read it.
 */
export function readBlob(blob: string): Uint8Array {
  const r = runGitRaw(["cat-file", "blob", blob]);
  if (r.code !== 0) throw new SyncObjectError("cat-file", r);
  return r.stdout;
}

/**
 * Whether the object database holds a commit.
 *
 * @param sha The hash.
 * @returns True when `sha^{commit}` resolves.
 */
export function hasCommit(sha: string): boolean {
  return runGit(["cat-file", "-e", `${sha}^{commit}`]).code === 0;
}
