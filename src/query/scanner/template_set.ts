/**
 * The line templates of one path (see `template.ts`), most recently matched
 * first, with the policy that decides when learning a new one is worth a
 * parse and when templates are not worth trying in a file.
 *
 * Self-contained but for `compileTemplate` and the constants the worker
 * source also includes (see `worker_source.ts`).
 *
 * @module
 * @internal
 */

import type { Segment } from "../../value_path.ts";
import type { LeafSink } from "./leaf_stats.ts";
import { compileTemplate, type LineTemplate } from "./template.ts";

/** The most templates kept per path (the least recently matched goes). */
export const TEMPLATES_PER_PATH = 8;

/**
 * Exact lines to wait for between tries while tries fail (each costs a
 * parse). Odd, so that lines of alternating shapes all get their turn.
 */
export const LEARN_WAIT_FAILING = 61;

/**
 * The longest wait while new templates read nothing: compiling a RegExp
 * costs about a millisecond, a thousand parsed lines, so the wait doubles
 * up to this many lines.
 */
export const LEARN_WAIT_MAX = 1 << 16;

/** Misses in a file before templates may be given up for it… */
export const GIVE_UP_MISSES = 64;

/** …when they read fewer than one line in this many tried. */
export const GIVE_UP_MISSES_PER_HIT = 4;

/** When learning a template is worth a parse and a compilation. */
export interface LearnPolicy {
  /** Counts an exactly read track line; whether to try learning from it. */
  ready(): boolean;
  /**
   * Notes a try's outcome.
   *
   * @param ok Whether a template was made.
   * @param hits Lines read by templates so far (unchanged since the last
   *   template: it read nothing, so waits grow).
   */
  built(ok: boolean, hits: number): void;
}

/**
 * Creates the learning policy of one set of templates: try on the first
 * line, then wait {@linkcode LEARN_WAIT_FAILING} lines between tries, and
 * twice as long after each template that read nothing (up to
 * {@linkcode LEARN_WAIT_MAX}).
 *
 * @returns The policy.
 */
export function createLearnPolicy(): LearnPolicy {
  let exact = 0, wait = 1, hitsAtBuild = -1;
  return {
    ready(): boolean {
      if (++exact < wait) return false;
      exact = 0;
      return true;
    },
    built(ok: boolean, hits: number): void {
      if (!ok) {
        wait = Math.min(wait * 2 + 1, Math.max(wait, LEARN_WAIT_FAILING));
        return;
      }
      wait = hitsAtBuild === hits
        ? Math.min(Math.max(wait, LEARN_WAIT_FAILING) * 2, LEARN_WAIT_MAX)
        : LEARN_WAIT_FAILING;
      hitsAtBuild = hits;
    },
  };
}

/** The templates of one path. */
export interface TemplateSet {
  /** Lines read by templates in the files finished so far. */
  readonly lines: number;
  /** Starts a file: its hit and miss counts start at zero. */
  begin(): void;
  /** Ends a file: its hits count in {@linkcode TemplateSet.lines}. */
  end(): void;
  /** Whether templates are still worth trying in this file. */
  useful(): boolean;
  /**
   * Reads the line at `ls` with a template, adding its leaf to `sink`.
   *
   * @returns The end of the line (after its `\n`), or -1 when no template
   *   matched or the line belongs to another run than `runId`.
   */
  read(
    text: string,
    ls: number,
    runId: string | undefined,
    sink: LeafSink,
  ): number;
  /** Learns the shape of the track line [ls, le) that the exact path read. */
  learn(text: string, ls: number, le: number): void;
}

/**
 * Creates the (empty) template set of a path.
 *
 * @param segs The path's segments below `value` (no `EVERY`).
 * @returns The set.
 */
export function createTemplateSet(segs: readonly Segment[]): TemplateSet {
  const list: LineTemplate[] = [];
  const policy = createLearnPolicy();
  let hits = 0;
  let fileHits = 0, fileMisses = 0;
  return {
    get lines() {
      return hits;
    },
    begin(): void {
      fileHits = fileMisses = 0;
    },
    end(): void {
      hits += fileHits;
      fileHits = 0;
    },
    useful(): boolean {
      return fileMisses < GIVE_UP_MISSES ||
        fileHits * GIVE_UP_MISSES_PER_HIT >= fileMisses;
    },
    read(text, ls, runId, sink): number {
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
        fileHits++;
        if (t.num !== 0) {
          const v = m[t.num];
          const sv = m[t.num + 1];
          sink.push(
            v !== undefined
              ? parseFloat(v)
              : sv === "NaN"
              ? NaN
              : sv === "Infinity"
              ? Infinity
              : -Infinity,
            t.ms === 0 ? 0 : +m[t.ms],
          );
        }
        return re.lastIndex;
      }
      fileMisses++;
      return -1;
    },
    learn(text, ls, le): void {
      if (!policy.ready()) return;
      const t = compileTemplate(text, ls, le, segs);
      policy.built(t !== null, hits + fileHits);
      if (t === null) return;
      if (list.length >= TEMPLATES_PER_PATH) list.pop();
      list.unshift(t);
    },
  };
}
