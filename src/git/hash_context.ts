/**
 * What git's hashing of a worktree file depends on besides the file: the
 * configuration git sees (`core.autocrlf`, `core.eol`, `core.filemode`,
 * `core.symlinks`, clean filters, …) and the attributes that apply to the
 * file (from every `.gitattributes`, ignored ones included, the
 * repository's `info/attributes`, the global and the system file). A kept
 * temporary index (`index_cache.ts`) holds blobs hashed under one such
 * context; its entries are trusted by their files' stat data only while
 * the context is the same. Both are asked of git, which reads what exprag
 * may not (a global attributes file outside the permitted paths).
 *
 * @module
 */

import { utf8OrNull } from "./quote.ts";
import { runGitRaw } from "./run.ts";

/** Bytes of paths given to one `git check-attr` (more: several calls). */
const PATH_BYTES_PER_CALL = 96 * 1024;

/** A 64-bit FNV-1a digest over several byte strings, each followed by a separator. */
function fnv(parts: Uint8Array[]): string {
  let a = 0x811c9dc5, b = 0x01000193 ^ 0x5bd1e995;
  for (const bytes of parts) {
    for (let i = 0; i < bytes.length; i++) {
      a = Math.imul(a ^ bytes[i], 0x01000193) >>> 0;
      b = Math.imul(b ^ bytes[i], 0x01000195) >>> 0;
    }
    a = Math.imul(a ^ 0x100, 0x01000193) >>> 0;
    b = Math.imul(b ^ 0x100, 0x01000195) >>> 0;
  }
  return a.toString(16).padStart(8, "0") + b.toString(16).padStart(8, "0");
}

/**
 * The fingerprint of the configuration git sees in a repository (all of
 * it: one `git config --list`, includes and `GIT_CONFIG_*` resolved).
 *
 * @param repo git's leading arguments naming the repository.
 * @returns The fingerprint; null when git cannot list it.
 */
export function configFingerprint(repo: string[]): string | null {
  const list = runGitRaw([...repo, "config", "-z", "--list"]);
  return list.code === 0 ? fnv([list.stdout]) : null;
}

/**
 * The fingerprint of the attributes of some paths as git would apply them
 * when adding them to the index `env` names (`git check-attr -a`).
 *
 * @param repo git's leading arguments naming the repository.
 * @param paths The paths, relative to the top level (names that are not
 *   UTF-8 are left out: they are never trusted by their stat data).
 * @param env The environment naming the temporary index.
 * @returns The fingerprint; null when git fails.
 */
export function attributesFingerprint(
  repo: string[],
  paths: Uint8Array[],
  env: Record<string, string>,
): string | null {
  const out: Uint8Array[] = [];
  let args: string[] = [];
  let bytes = 0;
  const call = () => {
    const r = runGitRaw(
      [...repo, "check-attr", "-a", "-z", "--", ...args],
      env,
    );
    args = [];
    bytes = 0;
    if (r.code !== 0) return false;
    out.push(r.stdout);
    return true;
  };
  for (const p of paths) {
    const t = utf8OrNull(p);
    if (t === null) continue;
    if (args.length > 0 && bytes + t.length > PATH_BYTES_PER_CALL && !call()) {
      return null;
    }
    args.push(t);
    bytes += t.length + 1;
  }
  if (args.length > 0 && !call()) return null;
  return fnv(out);
}
