/**
 * The lexical part of the one `--where` grammar: splitting `PATH OP VALUE`.
 * Kept apart from `where.ts` (which checks paths and matches runs) so that
 * the CLI's argument parser loads only this at start-up.
 *
 * @module
 */

import type { WhereClause } from "./types.ts";

/** The operators, longest first (`==` is written for `=`). */
export const WHERE_OPS = ["<=", ">=", "!=", "==", "=", "<", ">", "~"] as const;

/** Where the path of a clause ends: white space or an operator character. */
const PATH_END = /[\s=!<>~]/;

/**
 * Splits a clause into path, operator and value, without checking the
 * path: the tokenizer shared by {@linkcode parseWhere} and the CLI's
 * `--where` (spaces around the operator optional; a quoted key may hold
 * operator characters; a value in double or single quotes is unquoted).
 *
 * @param text E.g. `metadata.lr==0.1`, `value."val.acc" > 0.5`.
 * @returns The parts (`==` given as `=`), or `undefined` when the text has
 *   no path followed by an operator.
 */
export function splitWhere(text: string): WhereClause | undefined {
  let i = 0;
  const n = text.length;
  while (i < n && /\s/.test(text[i])) i++;
  const start = i;
  while (i < n && !PATH_END.test(text[i])) {
    if (text[i] === '"') { // a quoted key: up to its closing quote
      i++;
      while (i < n && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
    }
    i++;
  }
  if (i > n) return undefined; // an unterminated quoted key
  const path = text.slice(start, i);
  while (i < n && /\s/.test(text[i])) i++;
  const op = WHERE_OPS.find((o) => text.startsWith(o, i));
  if (path === "" || op === undefined) return undefined;
  let value = text.slice(i + op.length).trim();
  if (
    value.length >= 2 && (value[0] === '"' || value[0] === "'") &&
    value.at(-1) === value[0]
  ) {
    value = value.slice(1, -1);
  }
  return { path, op: op === "==" ? "=" : op, value };
}
