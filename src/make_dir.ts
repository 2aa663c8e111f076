/**
 * Creating a directory with its parents, with an error that says why it
 * cannot be: a symbolic link on the way whose target does not exist makes
 * `mkdir` fail with "File exists", which names the wrong problem.
 *
 * @module
 */
import { dirname, resolve } from "./path.ts";
import { granted } from "./permissions.ts";

/**
 * Creates a directory and its missing parents.
 *
 * @param dir The directory.
 * @throws {Error} `cannot create <dir>: <why>`, naming a dangling symbolic
 *   link on the way when there is one (its cause: the error of `mkdir`).
 */
export function makeDir(dir: string): void {
  try {
    Deno.mkdirSync(dir, { recursive: true });
  } catch (e) {
    const why = danglingLinkOn(dir) ?? (e as Error).message;
    throw new Error(`cannot create ${dir}: ${why}`, { cause: e });
  }
}

/**
 * The first path from `dir` up to the root that is a symbolic link whose
 * target does not exist, described; `undefined` when there is none or it
 * cannot be told (no read permission: nothing is asked).
 *
 * @param dir A path.
 * @returns `"<link> is a symbolic link to <target>, which does not exist"`.
 */
export function danglingLinkOn(dir: string): string | undefined {
  let p = resolve(dir);
  for (;;) {
    if (!granted({ name: "read", path: p })) return undefined;
    try {
      if (Deno.lstatSync(p).isSymlink) {
        try {
          Deno.statSync(p);
        } catch (e) {
          if (e instanceof Deno.errors.NotFound) {
            return `${p} is a symbolic link to ${
              Deno.readLinkSync(p)
            }, which does not exist`;
          }
        }
      }
    } catch {
      // nothing there, or cannot tell: look further up
    }
    const up = dirname(p);
    if (up === p) return undefined;
    p = up;
  }
}
