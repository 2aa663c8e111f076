/**
 * What git's hashing of a worktree file depends on besides the file: the
 * configuration git sees (`core.autocrlf`, `core.eol`, `core.filemode`,
 * `core.symlinks`, clean filters, …) and the attributes that apply to the
 * file (from every `.gitattributes`, ignored ones included, the
 * repository's `info/attributes`, the global and the system file). A kept
 * temporary index (`index_cache.ts`) holds blobs hashed under one such
 * context; its entries are trusted by their files' stat data only while
 * the context is the same. Both are asked of git, which reads what exprag
 * may not (a global attributes file outside the permitted paths, an
 * ignored `.gitattributes`).
 *
 * @module
 */

import { digest } from "./digest.ts";
import { concatBytes, utf8OrNull } from "./quote.ts";
import { runGitRaw } from "./run.ts";

/** Bytes of paths given to one `git check-attr` (more: several calls). */
const PATH_BYTES_PER_CALL = 96 * 1024;

/**
 * The fingerprint of the configuration git sees in a repository (all of
 * it, includes and `GIT_CONFIG_*` resolved).
 *
 * @param list What `gitConfigList` (`run.ts`) returned.
 * @returns The fingerprint; null when git could not list it.
 */
export function configFingerprint(list: Uint8Array | null): string | null {
  return list === null ? null : digest(list);
}

/**
 * The fingerprint of the attributes of some paths as git applies them when
 * it adds them (`git check-attr -a`), with no index: from the worktree's
 * `.gitattributes` files and the files outside it, not from `.gitattributes`
 * entries of an index (git falls back to those only for a `.gitattributes`
 * absent from the worktree, which status reports as deleted, so a kept
 * index is not used then; and reading no index halves the call's time).
 *
 * @param repo git's leading arguments naming the repository.
 * @param paths The paths, relative to the top level (names that are not
 *   UTF-8 are left out: they are never trusted by their stat data).
 * @param absentIndex A path where no file is (git reads it as an empty index).
 * @returns The fingerprint; null when git fails.
 */
export function attributesFingerprint(
  repo: string[],
  paths: Uint8Array[],
  absentIndex: string,
): string | null {
  const env = { GIT_INDEX_FILE: absentIndex };
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
  return digest(concatBytes(out));
}
