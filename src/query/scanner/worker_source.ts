/**
 * The scan workers' program, composed from the scanner's own modules: every
 * function and constant they export, plus the few `src/value_path.ts` and
 * `src/summary.ts` functions they call, written out by their source text
 * (`Function.prototype.toString`) and their values, then a message loop.
 *
 * Workers start from a blob URL of this text, so they need no permission
 * to read the module files (nor a network for a remote package): only the
 * read permission for the exprag directory that the scan itself uses.
 *
 * @module
 * @internal
 */

import { addToStats, newStatsAcc, toNumber } from "../../summary.ts";
import { EVERY, parsePath } from "../../value_path.ts";
import * as fileScanner from "./file_scanner.ts";
import * as jsonText from "./json_text.ts";
import * as leafBuffer from "./leaf_buffer.ts";
import * as leafStats from "./leaf_stats.ts";
import * as lineScan from "./line_scan.ts";
import * as target from "./target.ts";
import * as template from "./template.ts";
import * as templateDraft from "./template_draft.ts";
import * as templateSet from "./template_set.ts";
import * as walker from "./walker.ts";

/**
 * What the worker source defines, by name: the scanner's modules whole,
 * and the functions of other modules they call (which must themselves be
 * self-contained: `parsePath` uses only `EVERY`).
 */
export const SCANNER_PARTS: readonly Readonly<Record<string, unknown>>[] = [
  { EVERY, parsePath, toNumber, newStatsAcc, addToStats },
  jsonText,
  leafBuffer,
  leafStats,
  walker,
  target,
  templateDraft,
  template,
  templateSet,
  lineScan,
  fileScanner,
];

/**
 * One definition of the source: a function by its text, a number, string
 * or `null` constant by its value.
 *
 * @param name The name it is exported as.
 * @param value The function or constant.
 * @returns A top-level declaration.
 * @throws {TypeError} For another kind of value, or a function whose text
 *   does not declare that name.
 */
export function declaration(name: string, value: unknown): string {
  if (typeof value === "function") {
    const text = value.toString();
    if (!text.startsWith(`function ${name}(`)) {
      throw new TypeError(`Cannot include ${name} in the worker source`);
    }
    return text;
  }
  if (
    value === null || typeof value === "number" || typeof value === "string"
  ) {
    return `const ${name} = ${JSON.stringify(value)};`;
  }
  throw new TypeError(`Cannot include ${name} in the worker source`);
}

/**
 * The scanner's source: a script that defines `createFileScanner` and
 * everything it uses, and references nothing else but standard globals
 * and `Deno`.
 *
 * @returns JavaScript text.
 */
export function scannerSource(): string {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const part of SCANNER_PARTS) {
    for (const [name, value] of Object.entries(part)) {
      if (seen.has(name)) continue;
      seen.add(name);
      out.push(declaration(name, value));
    }
  }
  return out.join("\n");
}

/**
 * The worker program: the scanner plus a message loop. A job lists every
 * file; the worker claims them one by one from a shared counter (as the
 * main thread does), posts each file's statistics, then `{ done: true }`.
 *
 * @returns JavaScript text for a module worker.
 */
export function workerSource(): string {
  return `${scannerSource()}
const scanner = createFileScanner();
self.onmessage = (e) => {
  const { files, order, claim, skip, path, firstOnly } = e.data;
  while (true) {
    const k = Atomics.add(claim, 0, 1);
    if (k >= order.length) break;
    const id = order[k];
    if (Atomics.load(skip, id) === 1) continue; // no longer wanted
    self.postMessage({ id, ...scanner.scanStats(files[id], path, firstOnly) });
  }
  self.postMessage({ done: true });
};`;
}
