/**
 * The one-file commits of `exprag push`, written for all runs by one
 * `git fast-import` instead of three git processes per run (`hash-object`,
 * `mktree`, `commit-tree`). Each commit is the one `fileCommit` makes (same
 * deterministic author, committer, date and message: the same bytes on the
 * same parent give the same hash on every machine); each file's bytes are
 * streamed as they come, so only one file is held at a time. No ref is
 * created or moved: the branch fast-import needs is reset to nothing at the
 * end. Objects only, in the object database.
 *
 * Requires `--allow-run=git` (callers query it first).
 *
 * @module
 */

import { firstError, spawnGit } from "./run.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The identity and time of every sync commit (as `fileCommit`'s). */
const SIGNATURE = "exprag <exprag@localhost> 946684800 +0000";

/** A commit to make: one file in a tree, an optional parent, a message. */
export interface FileCommitRequest {
  /** The file's name at the top of the tree. */
  name: string;
  /** The file's bytes. */
  bytes: Uint8Array;
  /** The parent commit (a full hash), or null for a root commit. */
  parent: string | null;
  /** The commit message (ends with a newline). */
  message: string;
}

/** Makes many one-file commits through one `git fast-import`. */
export class FileCommitWriter {
  #writer: WritableStreamDefaultWriter<Uint8Array> | null = null;
  #output: Promise<Deno.CommandOutput> | null = null;
  #marks = 0;
  #branch = `refs/exprag/fast-import/${crypto.randomUUID()}`;

  /** The stream into fast-import, started on first use. */
  #input(): WritableStreamDefaultWriter<Uint8Array> {
    if (this.#writer === null) {
      const child = spawnGit(["fast-import", "--quiet", "--done"]);
      // read from the start: fast-import answers get-mark while questions
      // are still written, and stops once a full pipe is not read (a hang
      // past ~5,000 commits); its stderr says why it died
      this.#output = child.output();
      this.#writer = child.stdin.getWriter();
    }
    return this.#writer;
  }

  /** Writes to fast-import; when it has died, fails with git's reason. */
  async #write(bytes: Uint8Array): Promise<void> {
    try {
      await this.#input().write(bytes);
    } catch (e) {
      const r = await this.#output!;
      if (r.code === 0) throw e;
      throw this.#failed(r);
    }
  }

  #failed(r: Deno.CommandOutput): Error {
    const stderr = decoder.decode(r.stderr);
    return new Error(
      `git fast-import failed: ${firstError({ code: r.code, stderr })}`,
    );
  }

  /**
   * Adds a commit; its hash comes from {@linkcode FileCommitWriter.finish}.
   *
   * @param c The file, parent and message.
   * @returns The commit's handle (a number).
   */
  async add(c: FileCommitRequest): Promise<number> {
    if (/[\n\0]/.test(c.name)) throw new Error(`Invalid file name: ${c.name}`);
    const blob = ++this.#marks;
    const commit = ++this.#marks;
    const message = encoder.encode(c.message);
    await this.#write(
      encoder.encode(`blob\nmark :${blob}\ndata ${c.bytes.length}\n`),
    );
    await this.#write(c.bytes);
    await this.#write(encoder.encode(
      `\nreset ${this.#branch}\ncommit ${this.#branch}\nmark :${commit}\n` +
        `author ${SIGNATURE}\ncommitter ${SIGNATURE}\n` +
        `data ${message.length}\n`,
    ));
    await this.#write(message);
    await this.#write(encoder.encode(
      `\n${c.parent === null ? "" : `from ${c.parent}\n`}` +
        // the tree holds this file only (not the parent's files)
        `deleteall\nM 100644 :${blob} ${c.name}\n\n`,
    ));
    return commit;
  }

  /**
   * Ends the import and returns every added commit's hash.
   *
   * @returns Handle → full commit hash (empty when nothing was added).
   * @throws {Error} When git fails.
   */
  async finish(): Promise<Map<number, string>> {
    const out = new Map<number, string>();
    if (this.#writer === null || this.#output === null) return out;
    let asks = "";
    for (let m = 2; m <= this.#marks; m += 2) asks += `get-mark :${m}\n`;
    // the branch back to nothing: no ref is left behind
    await this.#write(encoder.encode(`${asks}reset ${this.#branch}\n\ndone\n`));
    await this.#writer.close().catch(() => {}); // a death: told by its code
    const r = await this.#output;
    if (r.code !== 0) throw this.#failed(r);
    const hashes = decoder.decode(r.stdout).split("\n").filter((l) => l !== "");
    for (let i = 0, m = 2; m <= this.#marks; m += 2, i++) {
      const h = hashes[i];
      if (h === undefined || !/^[0-9a-f]{40,64}$/.test(h)) {
        throw new Error(`git fast-import gave no commit for mark ${m}`);
      }
      out.set(m, h);
    }
    return out;
  }
}
