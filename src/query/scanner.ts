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
  /** How many lines of a path line templates have read so far (tests). */
  _templateLines(path: string): number;
}

/**
 * Creates a scanner. Must stay self-contained: its source text is also
 * evaluated inside workers.
 */
export function createScanner(): Scanner {
  const CHUNK = 1 << 20;
  // Bytes decoded into one string: below V8's large-object size, so each
  // text dies young (1 MiB texts went to the large-object space and raised
  // the peak RSS of a 330 MB scan from ~115 to ~180 MB). Reads stay 1 MiB:
  // a read per 64 KiB cost ~15% more time.
  const PIECE = 1 << 16;
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

  // ------------------------------------------------------------ templates
  //
  // Run files repeat one record shape thousands of times; only the values
  // change. After the exact path (JSON.parse + walk) has accepted a track
  // line, `buildTemplate` turns that line into a sticky RegExp that matches
  // exactly the lines with the same token structure: the same keys (raw
  // text), punctuation and whitespace, with each primitive value outside
  // the path replaced by a slot of its own JSON type (any number, any valid
  // string, true|false, any compact array of primitives), `kind` fixed to
  // "track", `schema_version` fixed, `run_id` and `elapsed_ms` (when a
  // number) captured,
  // and the path's leaf captured as a number or "NaN"/"Infinity"/
  // "-Infinity". Every slot accepts only valid JSON of its type, so a
  // matching line is valid JSON with the template line's structure:
  // JSON.parse + walk would find the same leaf at the same place (key
  // duplicates, keys with escapes or dots on the path, arrays on the path
  // and deep nesting make no template), and reading it needs no parse and
  // no allocation but the captures. A line no template matches goes the
  // exact way, as before.

  /** A line shape: a sticky RegExp and the groups it captures. */
  interface Template {
    re: RegExp;
    /** Group of the top-level run_id (0: the shape has none). */
    id: number;
    /** Group of elapsed_ms (0: the shape has none; a number when it has). */
    ms: number;
    /** Group of the leaf as a number; the next one holds "NaN" etc. (0: no leaf). */
    num: number;
  }
  const T_STR = String
    .raw`"[^"\\\x00-\x1f]*(?:\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})[^"\\\x00-\x1f]*)*"`;
  const T_NUM = String.raw`-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?`;
  const T_FLAT = `(?:${T_STR}|${T_NUM}|true|false|null)`;
  const T_MAX_DEPTH = 64;
  /** Longer lines make no template (nor bigger RegExps). */
  const T_MAX_LINE = 1 << 16;
  /**
   * Per path: the templates (most recently matched first); the lines they
   * read; track lines read the exact way since the last try to build one,
   * and how many to wait for before the next try. A failed try costs a
   * parse, so the wait grows to 61 lines (odd: lines of alternating shapes
   * all get their turn); compiling a RegExp costs about a millisecond, a
   * thousand parsed lines, so while new templates read nothing the wait
   * doubles (up to 65,536 lines).
   */
  const templates = new Map<
    string,
    {
      list: Template[];
      hits: number;
      exact: number;
      wait: number;
      hitsAtBuild: number;
    }
  >();
  let tSegs: string[] = [];
  let tParts: string[] = [];
  let tGroups = 0;
  let tNum = 0;
  let tEsc = false;

  function reQuote(x: string): string {
    return x.replace(/[.*+?^${}()|[\]\\\/]/g, "\\$&").replace(
      /[\t\r\u2028\u2029]/g,
      (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"),
    );
  }
  function tWs(s: string, i: number): number {
    let c = s.charCodeAt(i);
    while (c === 32 || c === 9 || c === 13) c = s.charCodeAt(++i);
    return i;
  }
  /** Copies the whitespace at i into the template; returns its end. */
  function tWsLit(s: string, i: number): number {
    const e = tWs(s, i);
    if (e > i) tParts.push(reQuote(s.slice(i, e)));
    return e;
  }
  function isHex(c: number): boolean {
    return (c >= 48 && c <= 57) || ((c | 32) >= 97 && (c | 32) <= 102);
  }
  /** The end of the JSON string at i, or -1; sets tEsc when it has escapes. */
  function tStr(s: string, i: number): number {
    i++;
    while (true) {
      const c = s.charCodeAt(i);
      if (c === 34) return i + 1;
      if (c === 92) {
        tEsc = true;
        const d = s.charCodeAt(i + 1);
        if (d === 117) {
          if (
            !(isHex(s.charCodeAt(i + 2)) && isHex(s.charCodeAt(i + 3)) &&
              isHex(s.charCodeAt(i + 4)) && isHex(s.charCodeAt(i + 5)))
          ) return -1;
          i += 6;
        } else if (
          d === 34 || d === 92 || d === 47 || d === 98 || d === 102 ||
          d === 110 || d === 114 || d === 116
        ) i += 2;
        else return -1;
      } else if (c < 32 || c !== c) return -1;
      else i++;
    }
  }
  /** The end of the JSON number at i, or -1. */
  function tNumEnd(s: string, i: number): number {
    let c = s.charCodeAt(i);
    if (c === 45) c = s.charCodeAt(++i);
    if (c === 48) c = s.charCodeAt(++i);
    else if (c >= 49 && c <= 57) {
      do c = s.charCodeAt(++i); while (c >= 48 && c <= 57);
    } else return -1;
    if (c === 46) {
      c = s.charCodeAt(++i);
      if (!(c >= 48 && c <= 57)) return -1;
      do c = s.charCodeAt(++i); while (c >= 48 && c <= 57);
    }
    if (c === 101 || c === 69) {
      c = s.charCodeAt(++i);
      if (c === 43 || c === 45) c = s.charCodeAt(++i);
      if (!(c >= 48 && c <= 57)) return -1;
      do c = s.charCodeAt(++i); while (c >= 48 && c <= 57);
    }
    return i;
  }
  /** The end of the JSON primitive at i, or -1. */
  function tPrim(s: string, i: number): number {
    const c = s.charCodeAt(i);
    if (c === 34) return tStr(s, i);
    if (c === 116) return s.startsWith("true", i) ? i + 4 : -1;
    if (c === 102) return s.startsWith("false", i) ? i + 5 : -1;
    if (c === 110) return s.startsWith("null", i) ? i + 4 : -1;
    return tNumEnd(s, i);
  }
  /**
   * A value off the path: containers keep their structure and keys,
   * primitives become slots of their type (`slots`) or stay literal.
   * Returns the value's end, or -1.
   */
  function tValue(s: string, i: number, depth: number, slots: boolean): number {
    const c = s.charCodeAt(i);
    if (c === 123 || c === 91) {
      if (depth > T_MAX_DEPTH) return -1;
      const close = c === 123 ? 125 : 93;
      if (c === 91 && slots) {
        // primitives with one separator throughout: any such array
        let j = i + 1;
        let sep: string | undefined;
        let flat = true;
        if (s.charCodeAt(j) !== 93) {
          while (true) {
            const e = tPrim(s, j);
            if (e < 0) {
              flat = false;
              break;
            }
            if (s.charCodeAt(e) === 93) {
              j = e;
              break;
            }
            const after = tWs(s, tWs(s, e) + 1);
            const sp = s.slice(e, after);
            if (s.charCodeAt(tWs(s, e)) !== 44 || (sep ??= sp) !== sp) {
              flat = false;
              break;
            }
            j = after;
          }
        }
        if (flat) {
          const q = reQuote(sep ?? ",");
          tParts.push(`\\[(?:${T_FLAT}(?:${q}${T_FLAT})*)?\\]`);
          return j + 1;
        }
      }
      tParts.push(c === 123 ? "\\{" : "\\[");
      i = tWsLit(s, i + 1);
      if (s.charCodeAt(i) === close) {
        tParts.push(c === 123 ? "\\}" : "\\]");
        return i + 1;
      }
      while (true) {
        if (c === 123) {
          if (s.charCodeAt(i) !== 34) return -1;
          const ke = tStr(s, i);
          if (ke < 0) return -1;
          tParts.push(reQuote(s.slice(i, ke)));
          i = tWsLit(s, ke);
          if (s.charCodeAt(i) !== 58) return -1;
          tParts.push(":");
          i = tWsLit(s, i + 1);
        }
        i = tValue(s, i, depth + 1, slots);
        if (i < 0) return -1;
        i = tWsLit(s, i);
        const d = s.charCodeAt(i);
        if (d === 44) {
          tParts.push(",");
          i = tWsLit(s, i + 1);
        } else if (d === close) {
          tParts.push(c === 123 ? "\\}" : "\\]");
          return i + 1;
        } else return -1;
      }
    }
    const e = tPrim(s, i);
    if (e < 0) return -1;
    if (!slots || c === 110) tParts.push(reQuote(s.slice(i, e)));
    else if (c === 34) tParts.push(T_STR);
    else if (c === 116 || c === 102) tParts.push("(?:true|false)");
    else tParts.push(T_NUM);
    return e;
  }
  /** A value on the path at segment k; -1 when no template can be made. */
  function tTracked(s: string, i: number, k: number, depth: number): number {
    const c = s.charCodeAt(i);
    if (k === tSegs.length) {
      // the leaf: a number or "NaN"/"Infinity"/"-Infinity" (else no template)
      let e: number;
      if (c === 34) {
        tEsc = false;
        e = tStr(s, i);
        if (e < 0 || tEsc) return -1;
        const t = s.slice(i + 1, e - 1);
        if (t !== "NaN" && t !== "Infinity" && t !== "-Infinity") return -1;
      } else {
        e = tNumEnd(s, i);
        if (e < 0) return -1;
      }
      if (tNum !== 0) return -1;
      tNum = ++tGroups;
      tGroups++;
      tParts.push(`(?:(${T_NUM})|"(NaN|Infinity|-Infinity)")`);
      return e;
    }
    const seg = tSegs[k];
    if (c === 91 && seg === "[]") return -1; // several leaves per record
    if (c !== 123) return tValue(s, i, depth, true);
    if (depth > T_MAX_DEPTH) return -1;
    tParts.push("\\{");
    i = tWsLit(s, i + 1);
    if (s.charCodeAt(i) === 125) {
      tParts.push("\\}");
      return i + 1;
    }
    let seen = false;
    while (true) {
      if (s.charCodeAt(i) !== 34) return -1;
      tEsc = false;
      const ke = tStr(s, i);
      if (ke < 0 || tEsc) return -1; // an escaped key might be the segment
      const key = s.slice(i + 1, ke - 1);
      let match = false;
      if (key === seg) {
        if (seen) return -1; // a duplicate: JSON.parse keeps the last
        seen = match = true;
      } else if (key.startsWith(seg + ".")) return -1; // a dotted key on the path
      tParts.push(reQuote(s.slice(i, ke)));
      i = tWsLit(s, ke);
      if (s.charCodeAt(i) !== 58) return -1;
      tParts.push(":");
      i = tWsLit(s, i + 1);
      i = match
        ? tTracked(s, i, k + 1, depth + 1)
        : tValue(s, i, depth + 1, true);
      if (i < 0) return -1;
      i = tWsLit(s, i);
      const d = s.charCodeAt(i);
      if (d === 44) {
        tParts.push(",");
        i = tWsLit(s, i + 1);
      } else if (d === 125) {
        tParts.push("\\}");
        return i + 1;
      } else return -1;
    }
  }
  /**
   * The template of a track line [ls, le) (le: its "\n") that the exact
   * path accepted, or null.
   */
  function buildTemplate(
    s: string,
    ls: number,
    le: number,
    segs: string[],
  ): Template | null {
    if (le - ls > T_MAX_LINE) return null;
    tSegs = segs;
    tParts = [];
    tGroups = tNum = 0;
    let idG = 0, msG = 0, seen = 0;
    let i = tWsLit(s, ls);
    if (s.charCodeAt(i) !== 123) return null;
    tParts.push("\\{");
    i = tWsLit(s, i + 1);
    while (true) {
      if (s.charCodeAt(i) !== 34) return null;
      tEsc = false;
      const ke = tStr(s, i);
      if (ke < 0 || tEsc) return null;
      const key = s.slice(i + 1, ke - 1);
      tParts.push(reQuote(s.slice(i, ke)));
      i = tWsLit(s, ke);
      if (s.charCodeAt(i) !== 58) return null;
      tParts.push(":");
      i = tWsLit(s, i + 1);
      const which = key === "kind"
        ? 1
        : key === "elapsed_ms"
        ? 2
        : key === "value"
        ? 4
        : key === "run_id"
        ? 8
        : 0;
      if (which !== 0) {
        if (seen & which) return null;
        seen |= which;
      }
      let e: number;
      if (which === 1) {
        e = s.startsWith('"track"', i) ? i + 7 : -1;
        tParts.push('"track"');
      } else if (which === 2) {
        e = tNumEnd(s, i);
        msG = ++tGroups;
        tParts.push(`(${T_NUM})`);
      } else if (which === 4) {
        e = tTracked(s, i, 0, 1);
      } else if (which === 8) {
        tEsc = false;
        e = s.charCodeAt(i) === 34 ? tStr(s, i) : -1;
        if (tEsc) return null;
        idG = ++tGroups;
        tParts.push(String.raw`"([^"\\\x00-\x1f]*)"`);
      } else {
        e = tValue(s, i, 1, key !== "schema_version");
      }
      if (e < 0) return null;
      i = tWsLit(s, e);
      const d = s.charCodeAt(i);
      if (d === 44) {
        tParts.push(",");
        i = tWsLit(s, i + 1);
      } else if (d === 125) {
        tParts.push("\\}");
        i = tWsLit(s, i + 1);
        break;
      } else return null;
    }
    if (i !== le || (seen & 1) === 0) return null; // kind "track"
    tParts.push("\\n");
    const source = tParts.join("");
    tParts = [];
    if (source.length > 4 * T_MAX_LINE) return null;
    let re: RegExp;
    try {
      re = new RegExp(source, "y");
    } catch {
      return null;
    }
    return { re, id: idG, ms: msG, num: tNum };
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
    const needleSlash = needle !== undefined && needle.includes("/");
    // lines with the needle read, lines skipped (per file, across texts)
    let matched = 0, skipped = 0;
    let simple = true;
    /** The chunk `simple` is still to be checked against (dotted keys). */
    let simpleText: string | undefined;
    let done = false;
    // the run id of the file's first line (a record of another run inside
    // the file sends the file to the reporting reader)
    let runId: string | undefined;
    // whether the last line given to `line` was a track record
    let wasTrack = false;
    // false when the line is invalid
    const line = (s: string): boolean => {
      const r = parse(s);
      if (r === undefined) return false;
      if (r === null) return true;
      if (
        runId !== undefined && r.run_id !== undefined && r.run_id !== runId
      ) return false;
      if (r.kind !== "track") return true;
      wasTrack = true;
      if (simpleText !== undefined) {
        // keys holding dots on the path, looked for only when needed
        for (let d = 0; simple && d < dotted.length; d++) {
          if (simpleText.includes(dotted[d])) simple = false;
        }
        simpleText = undefined;
      }
      const ms = typeof r.elapsed_ms === "number" ? r.elapsed_ms : 0;
      const any = isValue
        ? leaf(r.value, ms)
        : simple
        ? walkSimple(r.value, c.segs, 0, ms)
        : walkFast(r.value, c, 0, ms);
      if (any && firstOnly) done = true;
      return true;
    };
    // line templates (see buildTemplate); not for paths through lists,
    // whose records hold several leaves
    const segs = isValue ? [] : c.segs;
    let ts = templates.get(path);
    if (ts === undefined && !segs.includes("[]")) {
      ts = { list: [], hits: 0, exact: 0, wait: 1, hitsAtBuild: -1 };
      if (templates.size >= 64) {
        templates.delete(templates.keys().next().value!); // the oldest path
      }
      templates.set(path, ts);
    }
    let tHits = 0, tMisses = 0;
    /** The end of the line at ls (after its "\n") when a template read it, else -1. */
    const viaTemplate = (text: string, ls: number): number => {
      const list = ts!.list;
      if (list.length === 0) return -1;
      for (let q = 0; q < list.length; q++) {
        const t = list[q];
        const re = t.re;
        re.lastIndex = ls;
        const m = re.exec(text);
        if (m === null) continue;
        // another run's record: the exact path sends the file on
        if (t.id !== 0 && runId !== undefined && m[t.id] !== runId) break;
        if (q > 0) {
          list[q] = list[q - 1];
          list[q - 1] = t;
        }
        tHits++;
        if (t.num !== 0) {
          const v = m[t.num];
          const sv = m[t.num + 1];
          push(
            v !== undefined
              ? +v
              : sv === "NaN"
              ? NaN
              : sv === "Infinity"
              ? Infinity
              : -Infinity,
            t.ms === 0 ? 0 : +m[t.ms],
          );
          if (firstOnly) done = true;
        }
        return re.lastIndex;
      }
      tMisses++;
      return -1;
    };
    /** Learns the shape of a track line the exact path accepted. */
    const learn = (text: string, ls: number, le: number): void => {
      const st = ts!;
      if (++st.exact < st.wait) return;
      st.exact = 0;
      const t = buildTemplate(text, ls, le, segs);
      if (t === null) {
        st.wait = Math.min(st.wait * 2 + 1, Math.max(st.wait, 61));
        return;
      }
      const hits = st.hits + tHits;
      st.wait = st.hitsAtBuild === hits
        ? Math.min(Math.max(st.wait, 61) * 2, 1 << 16)
        : 61;
      st.hitsAtBuild = hits;
      if (st.list.length >= 8) st.list.pop();
      st.list.unshift(t);
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
        // whole lines only, so no character is split between texts
        for (let start = 0; start <= lastNL && !done;) {
          let end = lastNL;
          if (end - start >= PIECE) {
            end = buf.lastIndexOf(10, start + PIECE - 1);
            if (end < start) end = buf.indexOf(10, start + PIECE); // a long line
          }
          const text = decoder.decode(buf.subarray(start, end + 1));
          start = end + 1;
          let pos = 0;
          if (first) {
            first = false;
            if (text.charCodeAt(0) === 0xfeff) pos = 1;
            // the top-level run_id precedes the value in both writers' key
            // orders; a nested one found first only sends the file to the
            // exact reader
            const m = /"run_id":\s*"([^"\\]*)"/.exec(
              text.slice(pos, text.indexOf("\n", pos)),
            );
            runId = m === null ? undefined : m[1];
          }
          // a key written with \u escapes (or \/ for a "/") has other bytes
          // than its needle: no skipping lines then
          const escapes = text.includes("\\u") ||
            (needleSlash && text.includes("\\/"));
          simple = !escapes;
          simpleText = simple && dotted.length > 0 ? text : undefined;
          if (useNeedle && !escapes) {
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
              if (
                ts === undefined || (tMisses >= 64 && tHits * 4 < tMisses) ||
                viaTemplate(text, ls) < 0
              ) {
                wasTrack = false;
                if (!line(text.slice(ls, le))) return { status: "invalid" };
                if (wasTrack && ts !== undefined) learn(text, ls, le);
              }
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
            // templates while they read at least one line in five
            if (ts !== undefined && (tMisses < 64 || tHits * 4 >= tMisses)) {
              const te = viaTemplate(text, pos);
              if (te >= 0) {
                pos = te;
                continue;
              }
            }
            const le = text.indexOf("\n", pos);
            wasTrack = false;
            if (!line(text.slice(pos, le))) return { status: "invalid" };
            if (wasTrack && ts !== undefined) learn(text, pos, le);
            pos = le + 1;
          }
        }
        buf.copyWithin(0, lastNL + 1, total);
        have = total - lastNL - 1;
      }
      if (!done && have > 0) {
        // an unterminated last line (torn when it does not parse)
        let rest = decoder.decode(buf.subarray(0, have));
        if (first && rest.charCodeAt(0) === 0xfeff) rest = rest.slice(1);
        simple = false;
        simpleText = undefined;
        if (!line(rest)) return { status: "invalid" };
      }
    } catch (e) {
      return { status: "error", message: String(e) };
    } finally {
      f.close();
      if (buf.length > 4 * CHUNK) buf = new Uint8Array(CHUNK);
      if (ts !== undefined) ts.hits += tHits;
    }
    return {
      status: "ok",
      n,
      values: values.slice(0, n),
      elapsed: elapsed.slice(0, n),
    };
  }

  const _templateLines = (path: string) => templates.get(path)?.hits ?? 0;
  return { scanFile, valuesOf, _templateLines };
}

/**
 * The worker program: the factory plus a message loop. A job lists every
 * file; the worker claims them one by one from a shared counter (as the
 * main thread does), posts each result, then `{ done: true }`.
 */
export function workerSource(): string {
  return `const createScanner = ${createScanner.toString()};
const scanner = createScanner();
self.onmessage = (e) => {
  const { files, order, claim, path, firstOnly } = e.data;
  while (true) {
    const k = Atomics.add(claim, 0, 1);
    if (k >= order.length) break;
    const id = order[k];
    const r = scanner.scanFile(files[id], path, firstOnly);
    if (r.status === "ok") self.postMessage({ id, ...r }, [r.values.buffer, r.elapsed.buffer]);
    else self.postMessage({ id, ...r });
  }
  self.postMessage({ done: true });
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
  // The main thread and the workers claim files from one shared counter:
  // nobody waits for the event loop to hand out work.
  const claim = new Int32Array(new SharedArrayBuffer(4));
  try {
    const done = pool.map((w) =>
      new Promise<void>((resolve) => {
        w.onmessage = (e: MessageEvent) => {
          const d = e.data as (ScanResult & { id: number }) | { done: true };
          if ("done" in d) return resolve();
          const { id, ...r } = d;
          results[id] = r as ScanResult;
        };
        w.onerror = (e: ErrorEvent) => {
          e.preventDefault();
          resolve(); // its unfinished file is scanned below
        };
        w.postMessage({
          files: files.map((f) => f.file),
          order,
          claim,
          path,
          firstOnly,
        });
      })
    );
    while (true) {
      const k = Atomics.add(claim, 0, 1);
      if (k >= order.length) break;
      const id = order[k];
      results[id] = s.scanFile(files[id].file, path, firstOnly);
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
