/**
 * The lookups `exprag push` and `exprag pull` make for every run, done for
 * all runs at once: which commits the object database holds and the file
 * each one-file sync commit holds, each in one `git cat-file` process, and a
 * blob's hash computed here rather than by `git hash-object`. A push or pull
 * with nothing to move costs a few git processes, not two or more per run.
 *
 * Requires `--allow-run=git` (callers query it first).
 *
 * @module
 */

import type { FileEntry } from "./sync_objects.ts";
import { hashBlob, readBlob } from "./sync_objects.ts";
import { firstError, runGitInput } from "./run.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Above this size a blob is hashed by git (no copy of the bytes here). */
const HASH_HERE_MAX = 64 * 1024 * 1024;

/** One answer of `git cat-file --batch`: an object, or null when missing. */
interface BatchObject {
  sha: string;
  type: string;
  bytes: Uint8Array;
}

/**
 * Asks one `git cat-file` for every name, in order.
 *
 * @param names Object names (hashes, `<hash>^{commit}`, `<hash>^{tree}`).
 * @param contents Whether to read contents (`--batch`) or sizes only (`--batch-check`).
 * @returns Per name: the object (its bytes empty for `--batch-check`, the size in `bytes.length` only for `--batch`), its size, or null when git has no such object.
 */
async function catFile(
  names: readonly string[],
  contents: boolean,
): Promise<({ object: BatchObject; size: number } | null)[]> {
  if (names.length === 0) return [];
  for (const n of names) {
    if (/[\s]/.test(n)) throw new Error(`Invalid object name: ${n}`);
  }
  const mode = contents ? "--batch" : "--batch-check";
  const out = await runGitInput(
    ["cat-file", mode],
    encoder.encode(names.map((n) => `${n}\n`).join("")),
  );
  if (out.code !== 0) {
    throw new Error(`git cat-file ${mode} failed: ${firstError(out)}`);
  }
  const b = out.stdout;
  const answers: ({ object: BatchObject; size: number } | null)[] = [];
  let at = 0;
  for (const name of names) {
    const nl = b.indexOf(10, at);
    if (nl < 0) throw new Error(`git cat-file ${mode}: no answer for ${name}`);
    const header = decoder.decode(b.subarray(at, nl));
    at = nl + 1;
    const m = /^([0-9a-f]{40,64}) (\S+) (\d+)$/.exec(header);
    if (m === null) {
      answers.push(null); // "<name> missing" or "ambiguous"
      continue;
    }
    const size = Number(m[3]);
    let bytes: Uint8Array = new Uint8Array();
    if (contents) {
      bytes = b.subarray(at, at + size);
      at += size + 1; // the content, then a newline
    }
    answers.push({ object: { sha: m[1], type: m[2], bytes }, size });
  }
  return answers;
}

/**
 * The commits the object database holds among `shas`, each with the commit
 * it names (itself, or the commit an annotated tag points at).
 *
 * @param shas Full hashes.
 * @returns Hash → commit, for those that resolve to a commit here.
 * @throws {Error} When git fails.
 */
export async function existingCommits(
  shas: readonly string[],
): Promise<Map<string, string>> {
  const unique = [...new Set(shas)];
  const answers = await catFile(unique.map((s) => `${s}^{commit}`), false);
  const out = new Map<string, string>();
  unique.forEach((s, i) => {
    const a = answers[i];
    if (a?.object.type === "commit") out.set(s, a.object.sha);
  });
  return out;
}

/** The hex hash of each 20- or 32-byte entry hash in a raw tree. */
function hex(bytes: Uint8Array): string {
  let s = "";
  for (const x of bytes) s += x.toString(16).padStart(2, "0");
  return s;
}

/**
 * Whether a raw tree entry's mode is what git shows as `100644`: a regular
 * file without the owner's execute bit. git canonicalises the mode it reads
 * (`100664`, as early git wrote and `git mktree` still writes, is
 * `100644`), so `ls-tree` and checkout see such a file as 100644.
 */
function isPlainFile(mode: string): boolean {
  if (!/^[0-7]+$/.test(mode)) return false;
  const m = parseInt(mode, 8);
  return (m & 0o170000) === 0o100000 && (m & 0o100) === 0;
}

/** The regular file `name` of a raw tree: its blob hash, or null. */
function treeBlob(
  tree: Uint8Array,
  o: { name: string; hashBytes: number },
): string | null {
  let at = 0;
  while (at < tree.length) {
    const sp = tree.indexOf(32, at);
    const nul = tree.indexOf(0, sp + 1);
    if (sp < 0 || nul < 0) return null;
    const mode = decoder.decode(tree.subarray(at, sp));
    const name = decoder.decode(tree.subarray(sp + 1, nul));
    const hash = tree.subarray(nul + 1, nul + 1 + o.hashBytes);
    at = nul + 1 + o.hashBytes;
    if (name === o.name && isPlainFile(mode)) return hex(hash);
  }
  return null;
}

/**
 * The file named `name` at the top of each commit's tree (as
 * `fileEntry`, for many commits in two `git cat-file` processes).
 *
 * @param wanted The commits (full hashes the object database holds) and file names.
 * @returns Per item, in order: the blob and its size, or null when the tree has no such regular file.
 * @throws {Error} When git fails.
 */
export async function fileEntries(
  wanted: readonly { commit: string; name: string }[],
): Promise<(FileEntry | null)[]> {
  const trees = await catFile(wanted.map((w) => `${w.commit}^{tree}`), true);
  const blobs = wanted.map((w, i) => {
    const t = trees[i];
    if (t === null || t.object.type !== "tree") return null;
    return treeBlob(t.object.bytes, {
      name: w.name,
      hashBytes: w.commit.length / 2,
    });
  });
  const named = blobs.filter((b): b is string => b !== null);
  const sizes = await catFile(named, false);
  const sizeOf = new Map(named.map((b, i) => [b, sizes[i]]));
  return blobs.map((blob) => {
    const s = blob === null ? null : sizeOf.get(blob) ?? null;
    return blob === null || s === null || s.object.type !== "blob"
      ? null
      : { blob, size: s.size };
  });
}

/**
 * The hash git gives `bytes` as a blob (`git hash-object --stdin`),
 * computed here; nothing is written.
 *
 * @param bytes The content.
 * @param like A hash of this repository (its length tells SHA-1 from SHA-256).
 * @returns The blob's hash.
 */
export async function blobHash(
  bytes: Uint8Array,
  like: string,
): Promise<string> {
  if (bytes.length > HASH_HERE_MAX) return await hashBlob(bytes, false);
  const header = encoder.encode(`blob ${bytes.length}\0`);
  const all = new Uint8Array(header.length + bytes.length);
  all.set(header);
  all.set(bytes, header.length);
  const algorithm = like.length === 64 ? "SHA-256" : "SHA-1";
  return hex(new Uint8Array(await crypto.subtle.digest(algorithm, all)));
}

/** How many bytes of blobs one {@linkcode BlobBatches} read holds at most. */
const BATCH_BYTES = 64 * 1024 * 1024;

/**
 * Reads the blobs a pull will write, many per `git cat-file --batch`, in
 * the order they are asked for: a read of one entry of the list loads it
 * and the entries after it, up to 64 MiB, and forgets the previous batch
 * (so memory stays bounded however many and however large the runs are).
 * Blobs outside the list, or larger than a batch, are read alone.
 */
export class BlobBatches {
  #order: readonly FileEntry[];
  #at = new Map<string, number>();
  #loaded = new Map<string, Uint8Array>();
  #budget: number;

  /**
   * @param entries The blobs expected to be read, in the order they will be.
   * @param budget The most bytes one batch holds (64 MiB).
   */
  constructor(entries: readonly FileEntry[], budget = BATCH_BYTES) {
    this.#order = entries;
    this.#budget = budget;
    entries.forEach((e, i) => {
      if (!this.#at.has(e.blob)) this.#at.set(e.blob, i);
    });
  }

  /**
   * A blob's bytes.
   *
   * @param entry The blob and its size.
   * @returns Its content.
   * @throws {Error} When git cannot read it.
   */
  async read(entry: FileEntry): Promise<Uint8Array> {
    const hit = this.#loaded.get(entry.blob);
    if (hit !== undefined) return hit;
    const i = this.#at.get(entry.blob);
    const budget = this.#budget;
    if (i === undefined || entry.size > budget) return readBlob(entry.blob);
    this.#loaded.clear();
    const names: string[] = [];
    let total = 0;
    for (let j = i; j < this.#order.length; j++) {
      const e = this.#order[j];
      if (total + e.size > budget) break;
      names.push(e.blob);
      total += e.size;
    }
    const answers = await catFile(names, true);
    names.forEach((name, k) => {
      const a = answers[k];
      if (a !== null && a.object.type === "blob") {
        this.#loaded.set(name, a.object.bytes);
      }
    });
    return this.#loaded.get(entry.blob) ?? readBlob(entry.blob);
  }
}
