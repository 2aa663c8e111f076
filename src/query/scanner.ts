/**
 * The forward scan of one run file for one value path, written as a
 * self-contained factory (no outside references) so the very same code runs
 * on the main thread and, for large scans, in blob workers (which need no
 * permission beyond reading the exprag directory).
 *
 * The scan returns the numeric leaves at the path with their `elapsed_ms`,
 * in file order; the caller feeds them to `SummaryBuilder`, so the result
 * equals the tracker's summary by construction.
 *
 * @module
 * @internal
 */

/** What one file's scan produced. */
export type ScanResult =
  | { status: "ok"; n: number; values: Float64Array; elapsed: Float64Array }
  | { status: "invalid" }
  | { status: "error"; message: string };

/** A scanner instance. */
export interface Scanner {
  /**
   * Scans a file for the numeric leaves at a summary path (`value.a.[].b`)
   * of track records. `invalid` when a line is not a JSON object (the
   * caller redoes the file with the reporting reader).
   */
  scanFile(file: string, path: string, firstOnly: boolean): ScanResult;
  /** The numeric leaves at a summary path of one parsed track record. */
  valuesOf(record: Record<string, unknown>, path: string): number[];
}

/**
 * Creates a scanner. Must stay self-contained: its source text is also
 * evaluated inside workers.
 */
export function createScanner(): Scanner {
  const CHUNK = 1 << 20;
  const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
  let buf = new Uint8Array(CHUNK);
  let values = new Float64Array(8192);
  let elapsed = new Float64Array(8192);
  let n = 0;

  function push(v: number, ms: number): void {
    if (n === values.length) {
      const v2 = new Float64Array(n * 2), e2 = new Float64Array(n * 2);
      v2.set(values);
      e2.set(elapsed);
      values = v2;
      elapsed = e2;
    }
    values[n] = v;
    elapsed[n] = ms;
    n++;
  }

  function numeric(v: unknown): number | undefined {
    if (typeof v === "number") return v;
    if (v === "NaN") return NaN;
    if (v === "Infinity") return Infinity;
    if (v === "-Infinity") return -Infinity;
    return undefined;
  }

  function leaf(v: unknown, ms: number): boolean {
    const x = numeric(v);
    if (x === undefined) return false;
    push(x, ms);
    return true;
  }

  // Mirrors SummaryBuilder's paths exactly: list elements are `[]`, object
  // keys are appended with a dot (so a key may itself hold dots or be "[]").
  function walk(cur: unknown, rest: string, ms: number): boolean {
    if (cur === null || typeof cur !== "object") return false;
    let any = false;
    if (Array.isArray(cur)) {
      if (rest === "[]") {
        for (let i = 0; i < cur.length; i++) if (leaf(cur[i], ms)) any = true;
      } else if (rest.startsWith("[].")) {
        const r = rest.slice(3);
        for (let i = 0; i < cur.length; i++) {
          if (walk(cur[i], r, ms)) any = true;
        }
      }
      return any;
    }
    const o = cur as Record<string, unknown>;
    for (const k in o) {
      if (!Object.hasOwn(o, k)) continue;
      if (rest === k) {
        if (leaf(o[k], ms)) any = true;
      } else if (
        rest.length > k.length && rest.charCodeAt(k.length) === 46 &&
        rest.startsWith(k)
      ) {
        if (walk(o[k], rest.slice(k.length + 1), ms)) any = true;
      }
    }
    return any;
  }

  // The same paths with direct property lookups: at each object level the
  // candidate keys are the joins of the next segments ("a", "a.b", ...);
  // when more than one exists the generic walk keeps SummaryBuilder's order.
  interface Compiled {
    segs: string[];
    /** keys[i][j - i]: segs[i..j] joined with dots. */
    keys: string[][];
    rests: string[];
  }
  const compiled = new Map<string, Compiled>();
  function compile(rest: string): Compiled {
    let c = compiled.get(rest);
    if (c === undefined) {
      const segs = rest.split(".");
      const keys = segs.map((_, i) =>
        segs.slice(i).map((__, k) => segs.slice(i, i + k + 1).join("."))
      );
      const rests = segs.map((_, i) => segs.slice(i).join("."));
      c = { segs, keys, rests };
      compiled.set(rest, c);
    }
    return c;
  }

  function walkFast(cur: unknown, c: Compiled, i: number, ms: number): boolean {
    if (cur === null || typeof cur !== "object") return false;
    const segs = c.segs;
    const last = i === segs.length - 1;
    if (Array.isArray(cur)) {
      if (segs[i] !== "[]") return false;
      let any = false;
      for (let k = 0; k < cur.length; k++) {
        if (last ? leaf(cur[k], ms) : walkFast(cur[k], c, i + 1, ms)) {
          any = true;
        }
      }
      return any;
    }
    const o = cur as Record<string, unknown>;
    const keys = c.keys[i];
    let found = -1;
    for (let j = 0; j < keys.length; j++) {
      if (Object.hasOwn(o, keys[j])) {
        if (found !== -1) return walk(o, c.rests[i], ms); // ambiguous: generic order
        found = j;
      }
    }
    if (found === -1) return false;
    const next = i + found + 1;
    const v = o[keys[found]];
    return next === segs.length ? leaf(v, ms) : walkFast(v, c, next, ms);
  }

  /** Adds the numeric leaves at `path` (`value…`) of a track record. */
  function collectRecord(r: Record<string, unknown>, path: string): boolean {
    if (r.kind !== "track") return false;
    const ms = typeof r.elapsed_ms === "number" ? r.elapsed_ms : 0;
    if (path === "value") return leaf(r.value, ms);
    return walkFast(r.value, compile(path.slice(6)), 0, ms);
  }

  /** The numeric leaves at a path of one record, with its elapsed_ms. */
  function valuesOf(r: Record<string, unknown>, path: string): number[] {
    n = 0;
    collectRecord(r, path);
    return Array.from(values.subarray(0, n));
  }

  function needleOf(path: string): string | undefined {
    const last = path.slice(path.lastIndexOf(".") + 1);
    if (last === "" || last === "[]" || last === "value") return undefined;
    return JSON.stringify(last).slice(1); // the key's end and its closing quote
  }

  // Without keys holding dots on the path (checked per chunk), a plain walk
  // with direct property lookups finds exactly the same leaves.
  function walkSimple(
    cur: unknown,
    segs: string[],
    i: number,
    ms: number,
  ): boolean {
    const lastI = segs.length - 1;
    while (true) {
      if (cur === null || typeof cur !== "object") return false;
      const seg = segs[i];
      if (Array.isArray(cur)) {
        if (seg !== "[]") return false;
        let any = false;
        for (let k = 0; k < cur.length; k++) {
          if (
            i === lastI ? leaf(cur[k], ms) : walkSimple(cur[k], segs, i + 1, ms)
          ) any = true;
        }
        return any;
      }
      const v = (cur as Record<string, unknown>)[seg];
      if (v === undefined) return false;
      if (typeof v === "object" || typeof v === "function") {
        if (!Object.hasOwn(cur, seg)) return false; // from the prototype
      }
      if (i === lastI) return leaf(v, ms);
      cur = v;
      i++;
    }
  }

  /** The quoted multi-segment keys that would make the plain walk inexact. */
  function dottedKeys(c: Compiled): string[] {
    const out: string[] = [];
    for (const row of c.keys) {
      for (let j = 1; j < row.length; j++) out.push(JSON.stringify(row[j]));
    }
    return out;
  }

  function parse(s: string): Record<string, unknown> | null | undefined {
    let rec: unknown;
    try {
      rec = JSON.parse(s);
    } catch {
      return s.trim() === "" ? null : undefined;
    }
    if (rec === null || typeof rec !== "object" || Array.isArray(rec)) {
      return undefined;
    }
    return rec as Record<string, unknown>;
  }

  function scanFile(
    file: string,
    path: string,
    firstOnly: boolean,
  ): ScanResult {
    n = 0;
    const needle = needleOf(path);
    const isValue = path === "value";
    const c = compile(isValue ? "" : path.slice(6));
    const dotted = dottedKeys(c);
    let useNeedle = needle !== undefined;
    let simple = true;
    let done = false;
    // false when the line is invalid
    const line = (s: string): boolean => {
      const r = parse(s);
      if (r === undefined) return false;
      if (r === null || r.kind !== "track") return true;
      const ms = typeof r.elapsed_ms === "number" ? r.elapsed_ms : 0;
      const any = isValue
        ? leaf(r.value, ms)
        : simple
        ? walkSimple(r.value, c.segs, 0, ms)
        : walkFast(r.value, c, 0, ms);
      if (any && firstOnly) done = true;
      return true;
    };
    let f: Deno.FsFile;
    try {
      f = Deno.openSync(file, { read: true });
    } catch (e) {
      return { status: "error", message: String(e) };
    }
    try {
      let have = 0;
      let first = true;
      while (!done) {
        if (have === buf.length) {
          const bigger = new Uint8Array(buf.length * 2); // a line longer than the buffer
          bigger.set(buf);
          buf = bigger;
        }
        const got = f.readSync(buf.subarray(have));
        if (got === null || got === 0) break;
        const total = have + got;
        const lastNL = buf.lastIndexOf(10, total - 1);
        if (lastNL === -1) {
          have = total;
          continue;
        }
        // whole lines only, so no character is split between chunks
        const text = decoder.decode(buf.subarray(0, lastNL + 1));
        let pos = 0;
        if (first) {
          first = false;
          if (text.charCodeAt(0) === 0xfeff) pos = 1;
        }
        const escapes = text.includes("\\u");
        simple = !escapes;
        for (let d = 0; simple && d < dotted.length; d++) {
          if (text.includes(dotted[d])) simple = false;
        }
        if (useNeedle && !escapes) {
          let matched = 0, skipped = 0;
          while (!done) {
            const k = text.indexOf(needle!, pos);
            if (k === -1) {
              pos = text.length;
              break;
            }
            let ls = pos; // the start of k's line
            while (true) {
              const nl = text.indexOf("\n", ls);
              if (nl >= k) break;
              ls = nl + 1;
              skipped++;
            }
            const le = text.indexOf("\n", k);
            if (!line(text.slice(ls, le))) return { status: "invalid" };
            pos = le + 1;
            // nearly every line holds the key: filtering only costs time
            if (++matched === 256) {
              if (skipped * 8 < matched) {
                useNeedle = false;
                break;
              }
              matched = skipped = 0;
            }
          }
        }
        while (!done && pos < text.length) {
          const le = text.indexOf("\n", pos);
          if (!line(text.slice(pos, le))) return { status: "invalid" };
          pos = le + 1;
        }
        buf.copyWithin(0, lastNL + 1, total);
        have = total - lastNL - 1;
      }
      if (!done && have > 0) {
        // an unterminated last line (torn when it does not parse)
        let rest = decoder.decode(buf.subarray(0, have));
        if (first && rest.charCodeAt(0) === 0xfeff) rest = rest.slice(1);
        simple = false;
        if (!line(rest)) return { status: "invalid" };
      }
    } catch (e) {
      return { status: "error", message: String(e) };
    } finally {
      f.close();
      if (buf.length > 4 * CHUNK) buf = new Uint8Array(CHUNK);
    }
    return {
      status: "ok",
      n,
      values: values.slice(0, n),
      elapsed: elapsed.slice(0, n),
    };
  }

  return { scanFile, valuesOf };
}

/** The worker program: the factory plus a message loop. */
export function workerSource(): string {
  return `const createScanner = ${createScanner.toString()};
const scanner = createScanner();
self.onmessage = (e) => {
  const { id, file, path, firstOnly } = e.data;
  const r = scanner.scanFile(file, path, firstOnly);
  if (r.status === "ok") self.postMessage({ id, ...r }, [r.values.buffer, r.elapsed.buffer]);
  else self.postMessage({ id, ...r });
};`;
}

let local: Scanner | undefined;
/** The main thread's scanner. */
export function localScanner(): Scanner {
  return local ??= createScanner();
}

/** Bytes to scan above which workers are used. */
export const PARALLEL_BYTES = 24 << 20;

let maxWorkers = -1;
let minBytes = PARALLEL_BYTES;
/**
 * Sets how many scan workers may be used (-1: cores − 1, at most 3) and
 * from how many bytes; for tests and benchmarks.
 */
export function _setScanWorkers(
  n: number,
  fromBytes: number = PARALLEL_BYTES,
): void {
  maxWorkers = n;
  minBytes = fromBytes;
}

function macrotask(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * Scans several files, with the main thread plus workers when there is much
 * to read and more than one core; results in the order of `files`.
 */
export async function scanFiles(
  files: readonly { file: string; bytes: number }[],
  path: string,
  firstOnly: boolean,
): Promise<ScanResult[]> {
  const s = localScanner();
  const total = files.reduce((a, f) => a + f.bytes, 0);
  const cores = typeof navigator !== "undefined"
    ? navigator.hardwareConcurrency ?? 1
    : 1;
  const workers = Math.min(
    maxWorkers >= 0 ? maxWorkers : Math.min(cores - 1, 3),
    files.length - 1,
  );
  if (firstOnly || total < minBytes || workers < 1) {
    return files.map((f) => s.scanFile(f.file, path, firstOnly));
  }
  const pool: Worker[] = [];
  let url: string | undefined;
  try {
    url = URL.createObjectURL(
      new Blob([workerSource()], { type: "application/javascript" }),
    );
    for (let i = 0; i < workers; i++) {
      pool.push(new Worker(url, { type: "module" }));
    }
  } catch {
    // no workers: the main thread does everything
  }
  const results: ScanResult[] = new Array(files.length);
  // largest files first for balance
  const order = files.map((_, i) => i).sort((a, b) =>
    files[b].bytes - files[a].bytes
  );
  let next = 0;
  try {
    const done = pool.map((w) =>
      new Promise<void>((resolve) => {
        const give = () => {
          if (next >= order.length) return resolve();
          const id = order[next++];
          w.postMessage({ id, file: files[id].file, path, firstOnly });
        };
        w.onmessage = (e: MessageEvent) => {
          const { id, ...r } = e.data as ScanResult & { id: number };
          results[id] = r as ScanResult;
          give();
        };
        w.onerror = (e: ErrorEvent) => {
          e.preventDefault();
          resolve(); // its unfinished file is scanned below
        };
        give();
      })
    );
    // the main thread takes files too, yielding so workers get new ones
    while (next < order.length) {
      const id = order[next++];
      results[id] = s.scanFile(files[id].file, path, firstOnly);
      await macrotask();
    }
    await Promise.all(done);
  } finally {
    for (const w of pool) w.terminate();
    if (url !== undefined) URL.revokeObjectURL(url);
  }
  for (let i = 0; i < files.length; i++) {
    results[i] ??= s.scanFile(files[i].file, path, firstOnly);
  }
  return results;
}
