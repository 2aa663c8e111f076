/**
 * `lstat` that tells "nothing there" apart from errors: the writers that
 * never follow a symbolic link check each path with it.
 *
 * @module
 */

/**
 * The `lstat` of a path, or `null` when nothing is there.
 *
 * @param path The path.
 * @returns Its information (a link is described, not followed), or `null`.
 * @throws {Error} Any error but `NotFound` (e.g. a permission not granted).
 */
export function lstatOrNull(path: string): Deno.FileInfo | null {
  try {
    return Deno.lstatSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}
