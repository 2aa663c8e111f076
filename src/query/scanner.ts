/**
 * The forward scan of run files for one value path: the process's scanner
 * and worker pool, built from the factories in `./scanner/` (walker,
 * template compiler, chunked file scanner, pool), which are each tested on
 * their own and composed into the workers' source.
 *
 * @module
 * @internal
 */

import {
  createFileScanner,
  type FileScanner,
  type StatsResult,
} from "./scanner/file_scanner.ts";
import {
  createScanPool,
  type ScanPool,
  type SizedFile,
} from "./scanner/pool.ts";

export type {
  FileScanner,
  ScanResult,
  StatsResult,
} from "./scanner/file_scanner.ts";
export { pathNeedle } from "./scanner/target.ts";

let local: FileScanner | undefined;
let pool: ScanPool | undefined;

/**
 * The main thread's scanner (its templates serve every scan of the process).
 *
 * @returns The scanner.
 */
export function localScanner(): FileScanner {
  return local ??= createFileScanner();
}

/**
 * Scans several files, with the main thread plus workers when there is much
 * to read and more than one core.
 *
 * @param files The files with their sizes.
 * @param path A summary path.
 * @param firstOnly Stop each file at its first numeric leaf.
 * @returns Each file's statistics at the path, in the order of `files`.
 */
export function scanFiles(
  files: readonly SizedFile[],
  path: string,
  firstOnly: boolean,
): Promise<StatsResult[]> {
  pool ??= createScanPool(localScanner());
  return pool.scanFiles(files, path, firstOnly);
}
