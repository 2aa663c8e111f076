/**
 * What git's hashing of a worktree file depends on besides the file: the
 * configuration git sees (`core.autocrlf`, `core.eol`, `core.filemode`,
 * `core.symlinks`, clean filters, …) and the attributes files outside the
 * worktree (the repository's `info/attributes`, the global and the system
 * one). A kept temporary index (`index_cache.ts`) holds blobs hashed under
 * one such context; its entries are trusted by their files' stat data only
 * while the context is the same.
 *
 * @module
 */

import { join } from "../path.ts";
import { granted } from "../permissions.ts";
import { runGitRaw } from "./run.ts";

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** FNV-1a over bytes, two 32-bit lanes. */
class Fnv {
  #a = 0x811c9dc5;
  #b = 0x01000193 ^ 0x5bd1e995;

  add(bytes: Uint8Array): void {
    let a = this.#a, b = this.#b;
    for (let i = 0; i < bytes.length; i++) {
      a = Math.imul(a ^ bytes[i], 0x01000193) >>> 0;
      b = Math.imul(b ^ bytes[i], 0x01000195) >>> 0;
    }
    this.#a = a;
    this.#b = b;
  }

  hex(): string {
    return this.#a.toString(16).padStart(8, "0") +
      this.#b.toString(16).padStart(8, "0");
  }
}

/** The value of a key in `git config -z --list` output (`key\nvalue\0`); the last one wins. */
function configValue(list: Uint8Array, key: string): string | null {
  let found: string | null = null;
  for (const entry of decoder.decode(list).split("\0")) {
    const nl = entry.indexOf("\n");
    const k = nl < 0 ? entry : entry.slice(0, nl);
    if (k === key) found = nl < 0 ? "true" : entry.slice(nl + 1);
  }
  return found;
}

function env(name: string): string | undefined | null {
  if (!granted({ name: "env", variable: name })) return null;
  return Deno.env.get(name);
}

/** The global attributes file as git finds it; null when it cannot be told (no env permission). */
function globalAttributes(list: Uint8Array): string | null {
  const configured = configValue(list, "core.attributesfile");
  if (configured !== null) {
    if (!configured.startsWith("~/")) return configured;
    const home = env("HOME");
    return home ? join(home, configured.slice(2)) : null;
  }
  const xdg = env("XDG_CONFIG_HOME");
  if (xdg === null) return null;
  if (xdg) return join(xdg, "git", "attributes");
  const home = env("HOME");
  return home ? join(home, ".config", "git", "attributes") : null;
}

/** Adds a file's content (or its absence) to the hash; false when it cannot be read. */
function addFile(h: Fnv, path: string): boolean {
  h.add(encoder.encode(`\0${path}\0`));
  if (!granted({ name: "read", path })) return false;
  try {
    h.add(Deno.readFileSync(path));
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) return false;
    h.add(encoder.encode("\0absent"));
  }
  return true;
}

/**
 * The fingerprint of the hashing context of a repository: the whole
 * configuration git sees there (one `git config --list`) and the content of
 * the attributes files outside the worktree. A global or system attributes
 * file exprag may not read (no read or env permission) is left out and so
 * not watched; the repository's own `info/attributes` must be readable.
 *
 * @param repo git's leading arguments naming the repository.
 * @param attributesPath The repository's `info/attributes`.
 * @returns The fingerprint; null when it cannot be taken (then no kept
 *   index is used or kept).
 */
export function hashContext(
  repo: string[],
  attributesPath: string,
): string | null {
  const list = runGitRaw([...repo, "config", "-z", "--list"]);
  if (list.code !== 0) return null;
  const h = new Fnv();
  h.add(list.stdout);
  if (!addFile(h, attributesPath)) return null;
  const global = globalAttributes(list.stdout);
  if (global !== null) addFile(h, global);
  if (!env("GIT_ATTR_NOSYSTEM")) addFile(h, "/etc/gitattributes");
  return h.hex();
}
