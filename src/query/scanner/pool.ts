/**
 * The worker pool: scans many files for one path with the main thread plus
 * blob workers (see `worker_source.ts`) when there is much to read and more
 * than one core. Every thread claims the next file from one shared counter,
 * largest files first, so nobody waits for the event loop to hand out work.
 *
 * @module
 * @internal
 */

import type { FileScanner, StatsResult } from "./file_scanner.ts";
import { workerSource } from "./worker_source.ts";

/** Bytes to scan from which workers are used. */
export const PARALLEL_BYTES = 24 << 20;

/** The most workers used by default (besides the main thread). */
export const MAX_SCAN_WORKERS = 3;

/** How a pool uses workers. */
export interface ScanPoolOptions {
  /** Workers at most (default: cores − 1, at most {@linkcode MAX_SCAN_WORKERS}). */
  workers?: number;
  /** Bytes to scan from which workers are used (default {@linkcode PARALLEL_BYTES}). */
  parallelBytes?: number;
  /** Whether the main thread scans files too (default `true`). */
  mainThread?: boolean;
}

/** A file to scan. */
export interface SizedFile {
  /** Its path. */
  file: string;
  /** Its size in bytes (for the choice of workers and the order). */
  bytes: number;
}

/** A pool of scan workers, started for each call. */
export interface ScanPool {
  /**
   * Scans files for the statistics of the numeric leaves at a summary
   * path (each file reduced where it is read); results in the order of
   * `files`.
   */
  scanFiles(
    files: readonly SizedFile[],
    path: string,
    firstOnly: boolean,
  ): Promise<StatsResult[]>;
  /** How many files workers scanned in the last call. */
  readonly workerFiles: number;
}

/** A worker's message: a file's result, or the end of its work. */
type WorkerReply = (StatsResult & { id: number }) | { done: true };

/**
 * Starts workers from the worker source.
 *
 * @param n How many.
 * @returns The workers (fewer, or none, when workers cannot start) and
 *   the blob URL to revoke.
 */
export function startWorkers(n: number): { workers: Worker[]; url?: string } {
  const workers: Worker[] = [];
  let url: string | undefined;
  try {
    url = URL.createObjectURL(
      new Blob([workerSource()], { type: "application/javascript" }),
    );
    for (let i = 0; i < n; i++) {
      workers.push(new Worker(url, { type: "module" }));
    }
  } catch {
    // no workers: the main thread does everything
  }
  return { workers, url };
}

/**
 * Creates a pool.
 *
 * @param scanner The main thread's scanner.
 * @param options How workers are used.
 * @returns The pool.
 */
export function createScanPool(
  scanner: FileScanner,
  options: ScanPoolOptions = {},
): ScanPool {
  const mainThread = options.mainThread ?? true;
  const parallelBytes = options.parallelBytes ?? PARALLEL_BYTES;
  let workerFiles = 0;
  const count = (files: number): number => {
    const cores = typeof navigator !== "undefined"
      ? navigator.hardwareConcurrency ?? 1
      : 1;
    const n = options.workers ?? Math.min(cores - 1, MAX_SCAN_WORKERS);
    return Math.min(n, files - (mainThread ? 1 : 0));
  };
  const scanFiles = async (
    files: readonly SizedFile[],
    path: string,
    firstOnly: boolean,
  ): Promise<StatsResult[]> => {
    workerFiles = 0;
    const total = files.reduce((a, f) => a + f.bytes, 0);
    const n = count(files.length);
    if (firstOnly || total < parallelBytes || n < 1) {
      return files.map((f) => scanner.scanStats(f.file, path, firstOnly));
    }
    const { workers, url } = startWorkers(n);
    const results: StatsResult[] = new Array(files.length);
    const order = files.map((_, i) => i).sort((a, b) =>
      files[b].bytes - files[a].bytes
    );
    const claim = new Int32Array(new SharedArrayBuffer(4));
    const job = {
      files: files.map((f) => f.file),
      order,
      claim,
      path,
      firstOnly,
    };
    try {
      const done = workers.map((w) =>
        new Promise<void>((resolve) => {
          w.onmessage = (e: MessageEvent<WorkerReply>) => {
            const d = e.data;
            if ("done" in d) return resolve();
            const { id, ...r } = d;
            results[id] = r as StatsResult;
            workerFiles++;
          };
          w.onerror = (e: ErrorEvent) => {
            e.preventDefault();
            resolve(); // its unfinished file is scanned below
          };
          w.postMessage(job);
        })
      );
      while (mainThread) {
        const k = Atomics.add(claim, 0, 1);
        if (k >= order.length) break;
        results[order[k]] = scanner.scanStats(
          files[order[k]].file,
          path,
          firstOnly,
        );
      }
      await Promise.all(done);
    } finally {
      for (const w of workers) w.terminate();
      if (url !== undefined) URL.revokeObjectURL(url);
    }
    for (let i = 0; i < files.length; i++) {
      results[i] ??= scanner.scanStats(files[i].file, path, firstOnly);
    }
    return results;
  };
  return {
    scanFiles,
    get workerFiles() {
      return workerFiles;
    },
  };
}
