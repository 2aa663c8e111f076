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
  /**
   * Starts the workers on files before they are asked for (while the
   * caller still lists the runs): the next `scanFiles` of the same path
   * takes over their work, and the files it does not ask for are skipped
   * from then on. Nothing when the files are too small for workers.
   */
  prestart(files: readonly SizedFile[], path: string): void;
  /** Stops the workers of a prestart that no `scanFiles` took over. */
  release(): void;
  /** How many files workers scanned in the last call. */
  readonly workerFiles: number;
}

/** A worker's message: a file's result, or the end of its work. */
type WorkerReply = (StatsResult & { id: number }) | { done: true };

/** Workers at work on a list of files, claimed from one counter. */
export interface Job {
  files: readonly SizedFile[];
  path: string;
  /** Indices of `files`, largest first. */
  order: number[];
  /** The next index of `order` to claim. */
  claim: Int32Array;
  /** 1 for a file no longer wanted (workers skip it). */
  skip: Int32Array;
  /** The workers' results by index of `files`. */
  results: (StatsResult | undefined)[];
  /** Settled when every worker is done (or failed). */
  done: Promise<void>;
  /** Files the workers scanned. */
  scanned: number;
  /** Called with the index of each file a worker finished. */
  onResult: (id: number) => void;
  workers: Worker[];
  url: string | undefined;
}

/**
 * Starts workers on a job.
 *
 * @param files The files.
 * @param path The summary path.
 * @param firstOnly Stop each file at its first leaf.
 * @param n How many workers.
 * @returns The job (no workers when they cannot start).
 */
export function startJob(
  files: readonly SizedFile[],
  path: string,
  firstOnly: boolean,
  n: number,
): Job {
  const { workers, url } = startWorkers(n);
  const order = files.map((_, i) => i).sort((a, b) =>
    files[b].bytes - files[a].bytes
  );
  const job: Job = {
    files,
    path,
    order,
    claim: new Int32Array(new SharedArrayBuffer(4)),
    skip: new Int32Array(new SharedArrayBuffer(4 * Math.max(1, files.length))),
    results: new Array(files.length),
    done: Promise.resolve(),
    scanned: 0,
    onResult: () => {},
    workers,
    url,
  };
  const message = {
    files: files.map((f) => f.file),
    order,
    claim: job.claim,
    skip: job.skip,
    path,
    firstOnly,
  };
  job.done = Promise.all(workers.map((w) =>
    new Promise<void>((resolve) => {
      w.onmessage = (e: MessageEvent<WorkerReply>) => {
        const d = e.data;
        if ("done" in d) return resolve();
        const { id, ...r } = d;
        job.results[id] = r as StatsResult;
        job.scanned++;
        job.onResult(id);
      };
      w.onerror = (e: ErrorEvent) => {
        e.preventDefault();
        resolve(); // its unfinished file is scanned by the caller
      };
      w.postMessage(message);
    })
  )).then(() => {});
  return job;
}

/**
 * Stops a job's workers.
 *
 * @param job The job.
 */
export function stopJob(job: Job): void {
  for (const w of job.workers) w.terminate();
  if (job.url !== undefined) URL.revokeObjectURL(job.url);
}

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
  let early: Job | undefined;
  const count = (files: number): number => {
    const cores = typeof navigator !== "undefined"
      ? navigator.hardwareConcurrency ?? 1
      : 1;
    const n = options.workers ?? Math.min(cores - 1, MAX_SCAN_WORKERS);
    return Math.min(n, files - (mainThread ? 1 : 0));
  };
  const parallel = (files: readonly SizedFile[]): number => {
    const total = files.reduce((a, f) => a + f.bytes, 0);
    return total < parallelBytes ? 0 : count(files.length);
  };
  const prestart = (files: readonly SizedFile[], path: string): void => {
    if (early !== undefined) return;
    const n = parallel(files);
    if (n >= 1) early = startJob(files, path, false, n);
  };
  const release = (): void => {
    if (early !== undefined) stopJob(early);
    early = undefined;
  };
  const scanFiles = async (
    files: readonly SizedFile[],
    path: string,
    firstOnly: boolean,
  ): Promise<StatsResult[]> => {
    workerFiles = 0;
    let job = early;
    early = undefined;
    if (job !== undefined && (job.path !== path || firstOnly)) {
      stopJob(job);
      job = undefined;
    }
    if (job === undefined) {
      const n = firstOnly ? 0 : parallel(files);
      if (n < 1) {
        return files.map((f) => scanner.scanStats(f.file, path, firstOnly));
      }
      job = startJob(files, path, firstOnly, n);
    }
    // which of the job's files are asked for, and where their results go
    const at = new Map<string, number>();
    job.files.forEach((f, j) => at.set(f.file, j));
    const target = new Array<number>(job.files.length).fill(-1);
    for (let i = 0; i < files.length; i++) {
      const j = at.get(files[i].file);
      if (j !== undefined && target[j] === -1) target[j] = i;
    }
    for (let j = 0; j < target.length; j++) {
      if (target[j] === -1) Atomics.store(job.skip, j, 1);
    }
    const results: StatsResult[] = new Array(files.length);
    try {
      while (mainThread) {
        const k = Atomics.add(job.claim, 0, 1);
        if (k >= job.order.length) break;
        const j = job.order[k];
        if (target[j] === -1) continue;
        results[target[j]] = scanner.scanStats(
          job.files[j].file,
          path,
          firstOnly,
        );
      }
      // wait for the wanted files the workers hold, not for the others
      // (a prestarted worker may be in a large file nobody asked for)
      let waiting = 0;
      for (let j = 0; j < target.length; j++) {
        if (target[j] !== -1 && job.results[j] === undefined) {
          if (results[target[j]] === undefined) waiting++;
        }
      }
      if (waiting > 0) {
        await new Promise<void>((resolve) => {
          job.onResult = (id) => {
            if (target[id] !== -1 && --waiting === 0) resolve();
          };
          job.done.then(resolve);
        });
      }
    } finally {
      stopJob(job);
    }
    workerFiles = job.scanned;
    for (let j = 0; j < target.length; j++) {
      const r = job.results[j];
      if (target[j] !== -1 && r !== undefined) results[target[j]] ??= r;
    }
    // files not in a prestarted job, and those of a failed worker
    for (let i = 0; i < files.length; i++) {
      results[i] ??= scanner.scanStats(files[i].file, path, firstOnly);
    }
    return results;
  };
  return {
    scanFiles,
    prestart,
    release,
    get workerFiles() {
      return workerFiles;
    },
  };
}
