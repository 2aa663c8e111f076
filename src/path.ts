/**
 * File path helpers: the `node:path` functions the package uses, written for
 * POSIX paths so that the CLI does not load Node compatibility at start-up
 * (importing `node:path` costs ~8 ms, a third of `exprag runs` on an empty
 * directory). On Windows every function is `node:path`'s own, loaded only
 * there. tests/path_test.ts compares each one with `node:path`'s `posix`.
 *
 * @module
 */

/** `node:path`, on Windows only (its win32 functions). */
const win: typeof import("node:path") | undefined = Deno.build.os === "windows"
  ? await import("node:path")
  : undefined;

/** The separator of path segments. */
export const sep: string = win?.sep ?? "/";

/**
 * `path` with `.` segments, `..` segments and repeated slashes resolved,
 * keeping a trailing slash (POSIX).
 */
function normalizePosix(path: string): string {
  if (path === "") return ".";
  const absolute = path.charCodeAt(0) === 47;
  const kept: string[] = [];
  for (const segment of path.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment !== "..") kept.push(segment);
    else if (kept.length > 0 && kept[kept.length - 1] !== "..") kept.pop();
    else if (!absolute) kept.push("..");
  }
  let out = (absolute ? "/" : "") + kept.join("/");
  if (out === "") out = ".";
  if (path.endsWith("/") && out !== "/") out += "/";
  return out;
}

/** `paths` resolved right to left into one absolute path (POSIX). */
function resolvePosix(paths: string[]): string {
  let joined = "";
  for (let i = paths.length - 1; i >= 0; i--) {
    const p = paths[i];
    if (p === "") continue;
    joined = joined === "" ? p : `${p}/${joined}`;
    if (p.charCodeAt(0) === 47) break;
  }
  if (joined.charCodeAt(0) !== 47) {
    joined = joined === "" ? Deno.cwd() : `${Deno.cwd()}/${joined}`;
  }
  const out = normalizePosix(joined);
  return out.length > 1 && out.endsWith("/") ? out.slice(0, -1) : out;
}

/** The path's directory (POSIX; trailing slashes ignored). */
function dirnamePosix(path: string): string {
  let end = path.length;
  while (end > 1 && path.charCodeAt(end - 1) === 47) end--;
  const slash = end === 0 ? -1 : path.lastIndexOf("/", end - 1);
  if (slash === -1) return ".";
  if (slash === 0) return "/";
  if (slash === 1 && path.charCodeAt(0) === 47) return "//";
  return path.slice(0, slash);
}

/** The path's last segment (POSIX; trailing slashes ignored). */
function basenamePosix(path: string): string {
  let end = path.length;
  while (end > 0 && path.charCodeAt(end - 1) === 47) end--;
  if (end === 0) return "";
  return path.slice(path.lastIndexOf("/", end - 1) + 1, end);
}

/** The path from `from` to `to`, both resolved first (POSIX). */
function relativePosix(from: string, to: string): string {
  const a = resolvePosix([from]).split("/").filter((s) => s !== "");
  const b = resolvePosix([to]).split("/").filter((s) => s !== "");
  let same = 0;
  while (same < a.length && same < b.length && a[same] === b[same]) same++;
  const up: string[] = new Array(a.length - same).fill("..");
  return [...up, ...b.slice(same)].join("/");
}

/** `paths` joined with the separator, then normalised (`.` when empty). */
function joinPosix(paths: string[]): string {
  const parts = paths.filter((p) => p !== "");
  return parts.length === 0 ? "." : normalizePosix(parts.join("/"));
}

/**
 * Joins path segments and normalises the result, as `node:path` `join`.
 *
 * @param paths The segments (empty ones are skipped).
 * @returns The joined path, `.` when nothing is left.
 */
export function join(...paths: string[]): string {
  return win ? win.join(...paths) : joinPosix(paths);
}

/**
 * Resolves segments into an absolute path against the working directory, as
 * `node:path` `resolve` (reading the working directory needs `--allow-read`
 * when no segment is absolute).
 *
 * @param paths The segments, the rightmost absolute one starting the result.
 * @returns The absolute, normalised path without a trailing separator.
 */
export function resolve(...paths: string[]): string {
  return win ? win.resolve(...paths) : resolvePosix(paths);
}

/**
 * The directory part of a path, as `node:path` `dirname`.
 *
 * @param path The path.
 * @returns Its directory (`.` when it has none).
 */
export function dirname(path: string): string {
  return win ? win.dirname(path) : dirnamePosix(path);
}

/**
 * The last segment of a path, as `node:path` `basename` (no extension
 * argument).
 *
 * @param path The path.
 * @returns Its last segment, trailing separators ignored.
 */
export function basename(path: string): string {
  return win ? win.basename(path) : basenamePosix(path);
}

/**
 * Whether a path is absolute, as `node:path` `isAbsolute`.
 *
 * @param path The path.
 * @returns `true` when it starts at a root.
 */
export function isAbsolute(path: string): boolean {
  return win ? win.isAbsolute(path) : path.charCodeAt(0) === 47;
}

/**
 * The relative path from one path to another, as `node:path` `relative`.
 *
 * @param from The starting path.
 * @param to The destination.
 * @returns The path from `from` to `to` (`""` when they are the same).
 */
export function relative(from: string, to: string): string {
  return win ? win.relative(from, to) : relativePosix(from, to);
}

/**
 * Normalises a path, as `node:path` `normalize`.
 *
 * @param path The path.
 * @returns It with `.`, `..` and repeated separators resolved.
 */
export function normalize(path: string): string {
  return win ? win.normalize(path) : normalizePosix(path);
}

/** POSIX path functions on every platform (paths inside a git tree). */
export const posix: {
  basename: (path: string) => string;
  isAbsolute: (path: string) => boolean;
  join: (...paths: string[]) => string;
  normalize: (path: string) => string;
} = {
  basename: basenamePosix,
  isAbsolute: (path) => path.charCodeAt(0) === 47,
  join: (...paths) => joinPosix(paths),
  normalize: normalizePosix,
};
