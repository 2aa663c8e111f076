/**
 * The regular expressions of `where` clauses (`PATH ~ PATTERN`): compiled
 * with the `u` flag, and refused before any file is read when they are no
 * valid expression or their matching time could grow exponentially with
 * the value matched.
 *
 * JavaScript's regular expressions backtrack, so `(a+)+$` against 40
 * characters of someone else's run file never returns. A pattern is
 * refused when it repeats a group that itself holds a variable quantifier
 * (`(a+)+`, `(a*b?)*`, `(x{1,3})+`) or whose alternatives can start alike
 * (`(a|a)*`, `(a|ab)+`, `(.|x)*`) — the two shapes of exponential
 * backtracking ("star height" > 1, as the safe-regex checks do). Matching
 * is then polynomial in the length of the value.
 *
 * @module
 */

interface Group {
  /** The group holds a variable quantifier (`*`, `+`, `?`, `{n,m}`). */
  variable: boolean;
  /** First token of each alternative (`""` when it is a class or group). */
  firsts: string[];
  /** The current alternative has no token yet. */
  atStart: boolean;
}

/** A token that can match many characters' first characters. */
const ANY = "";

function quantifierAt(
  src: string,
  i: number,
): { end: number; repeats: boolean; variable: boolean } | undefined {
  const c = src[i];
  let end = i + 1;
  let repeats: boolean, variable: boolean;
  if (c === "*" || c === "+") repeats = variable = true;
  else if (c === "?") [repeats, variable] = [false, true];
  else if (c === "{") {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(src.slice(i));
    if (m === null) return undefined;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : m[3] === "" ? Infinity : Number(m[3]);
    end = i + m[0].length;
    repeats = hi >= 2;
    variable = hi > lo;
  } else return undefined;
  if (src[end] === "?") end++; // lazy
  return { end, repeats, variable };
}

function overlapping(firsts: readonly string[]): boolean {
  if (firsts.length < 2) return false;
  if (firsts.includes(ANY)) return true;
  return new Set(firsts.map((f) => f.toLowerCase())).size < firsts.length;
}

/** Skips an escape; returns the index after it and the literal, or ANY. */
function escapeAt(src: string, i: number): [number, string] {
  const c = src[i + 1] ?? "";
  if ("pPux".includes(c) && src[i + 2] === "{") {
    const close = src.indexOf("}", i + 3);
    return [close < 0 ? src.length : close + 1, ANY];
  }
  if (/[dDwWsSbBpPuxck0-9]/.test(c)) return [i + 2, ANY];
  return [i + 2, c];
}

function classEnd(src: string, i: number): number {
  let j = i + 1;
  if (src[j] === "^") j++;
  if (src[j] === "]") j++;
  while (j < src.length && src[j] !== "]") j += src[j] === "\\" ? 2 : 1;
  return j + 1;
}

/**
 * Why a pattern cannot be used: it is no valid regular expression (with
 * the `u` flag), or it could take exponential time.
 *
 * @param src The pattern as written.
 * @returns A one-line reason naming the pattern, or `undefined` when it
 *   can be used.
 * @example
 * ```ts
 * import { checkPattern } from "./pattern.ts";
 * checkPattern("^resnet-(18|50)$"); // undefined
 * checkPattern("(a+)+$"); // 'the pattern "(a+)+$" repeats a group ...'
 * checkPattern("["); // 'the pattern "[" is no valid regular expression ...'
 * ```
 */
export function checkPattern(src: string): string | undefined {
  try {
    compiled(src);
  } catch (e) {
    return `the pattern ${
      JSON.stringify(src)
    } is no valid regular expression (${
      e instanceof Error ? e.message : String(e)
    }); escape characters such as [ ( ) { } * + ? | \\ with a backslash to match them literally`;
  }
  const stack: Group[] = [{ variable: false, firsts: [], atStart: true }];
  let last: Group | undefined; // the group just closed, if the last token
  let i = 0;
  const token = (first: string) => {
    const g = stack[stack.length - 1];
    if (g.atStart) g.firsts.push(first);
    g.atStart = false;
  };
  while (i < src.length) {
    const c = src[i];
    const q = quantifierAt(src, i);
    if (q !== undefined) {
      const g = stack[stack.length - 1];
      if (last !== undefined && q.repeats) {
        if (last.variable) return unsafe(src, "nested quantifier");
        if (overlapping(last.firsts)) {
          return unsafe(src, "alternatives that can start alike");
        }
      }
      if (q.variable || last?.variable) g.variable = true;
      last = undefined;
      i = q.end;
      continue;
    }
    const closed = last;
    last = undefined;
    if (closed !== undefined) {
      stack[stack.length - 1].variable ||= closed.variable;
    }
    if (c === "\\") {
      const [end, lit] = escapeAt(src, i);
      token(lit);
      i = end;
    } else if (c === "[") {
      token(ANY);
      i = classEnd(src, i);
    } else if (c === "(") {
      token(ANY);
      stack.push({ variable: false, firsts: [], atStart: true });
      const m = /^\(\?(?:[:=!]|<[=!]|<[^>]*>)/.exec(src.slice(i));
      i += m === null ? 1 : m[0].length;
    } else if (c === ")" && stack.length > 1) {
      last = stack.pop()!;
      if (last.atStart) last.firsts.push(ANY); // an empty alternative
      i++;
    } else if (c === "|") {
      const g = stack[stack.length - 1];
      if (g.atStart) g.firsts.push(ANY);
      g.atStart = true;
      i++;
    } else {
      token(c === "." || c === "^" || c === "$" ? ANY : c);
      i++;
    }
  }
  return undefined;
}

function unsafe(src: string, shape: string): string {
  return `the pattern ${
    JSON.stringify(src)
  } repeats a group holding ${shape}, which can take exponential time on some values; rewrite it without repeating such a group`;
}

const cache = new Map<string, RegExp>();

function compiled(src: string): RegExp {
  let re = cache.get(src);
  if (re === undefined) {
    re = new RegExp(src, "u");
    if (cache.size > 256) cache.clear();
    cache.set(src, re);
  }
  return re;
}

/**
 * The matcher of a pattern: a regular expression compiled with the `u`
 * flag. Check the pattern with {@linkcode checkPattern} first.
 *
 * @param src The pattern.
 * @returns A test of one string.
 * @throws {SyntaxError} When the pattern is no valid regular expression.
 */
export function patternMatcher(src: string): (s: string) => boolean {
  const re = compiled(src);
  return (s) => re.test(s);
}
