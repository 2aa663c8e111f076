/**
 * The forward scan of run files for one value path: the process's scanner
 * and worker pool, built from the factories in `./scanner/` (walker,
 * template compiler, chunked file scanner, pool), which are each tested on
 * their own and composed into the workers' source.
 *
 * @module
 * @internal
 */

import { join } from "../path.ts";
import { runsDir } from "./files.ts";
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

/** Run files listed at most for a prestart (the listing holds them all). */
export const PRESTART_MAX_FILES = 10_000;

/** Bytes at the end of a run file looked at for its run_end. */
export const PRESTART_TAIL_BYTES = 4096;

/**
 * Starts the workers on every run file of a directory before the caller
 * has listed its runs, when a full scan of `path` is likely to follow:
 * the directory's first file (by name) has no run_end near its end (a
 * run with run_end is answered from its summary). The next `scanFiles`
 * of the path takes their work over; {@linkcode releaseScan} stops them
 * when none came. Only a guess: answers do not depend on it.
 *
 * Requires `--allow-read` for the exprag directory (without it, or on any
 * error, nothing starts).
 *
 * @param dir The exprag directory (as the listing resolves it).
 * @param path A summary path (`value.metrics.acc`).
 */
export async function prestartScan(
  dir: string | undefined,
  path: string,
): Promise<void> {
  try {
    const runs = runsDir(dir);
    const prefix = join(runs, "_").slice(0, -1); // as the listing writes them
    const names: string[] = [];
    for await (const e of Deno.readDir(runs)) {
      if (!e.isFile || !e.name.endsWith(".jsonl")) continue;
      if (names.push(e.name) > PRESTART_MAX_FILES) return;
    }
    if (names.length === 0) return;
    names.sort();
    const files = names.map((n) => {
      const file = prefix + n;
      return { file, bytes: Deno.statSync(file).size };
    });
    if (hasRunEndNearEnd(files[0].file, files[0].bytes)) return;
    pool ??= createScanPool(localScanner());
    pool.prestart(files, path);
  } catch {
    // no guess: the scan starts its workers itself
  }
}

/** Stops prestarted workers that no scan took over. */
export function releaseScan(): void {
  pool?.release();
}

function hasRunEndNearEnd(file: string, size: number): boolean {
  const f = Deno.openSync(file, { read: true });
  try {
    const from = Math.max(0, size - PRESTART_TAIL_BYTES);
    f.seekSync(from, Deno.SeekMode.Start);
    const buf = new Uint8Array(size - from);
    let got = 0;
    while (got < buf.length) {
      const n = f.readSync(buf.subarray(got));
      if (n === null || n === 0) break;
      got += n;
    }
    return new TextDecoder().decode(buf.subarray(0, got)).includes("run_end");
  } finally {
    f.close();
  }
}
