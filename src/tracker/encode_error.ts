/**
 * Encoding failures: the error that travels up the walk collecting its path,
 * and the `TypeError` it becomes (`cannot encode value.metrics.self: …`).
 * Error paths are written as JavaScript accessors (`value[0]`,
 * `value["a b"]`), for the person reading the stack trace.
 *
 * @module
 */
/** An encoding failure travelling up to the root, collecting its path. */
export class PathError extends Error {
  /**
   * Path segments from the failing position up to the root (reversed);
   * `null` marks a conversion (toJSON, Map, ...) that adds no path segment.
   */
  segments: (string | number | null)[] = [];
  /** The containers along the failing path (reversed), for cycle detection. */
  chain: object[] = [];
  /** Whether this failure is the depth limit (maybe a cycle). */
  depth: boolean;
  /**
   * @param message What failed.
   * @param depth Whether it is the depth limit.
   * @param cause The error thrown by user code, if any.
   */
  constructor(message: string, depth = false, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.depth = depth;
  }
}

function errorPath(
  root: string,
  segments: (string | number | null)[],
): string {
  let out = root;
  for (const s of segments) {
    if (s === null) continue;
    if (typeof s === "number") out += `[${s}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(s)) out += "." + s;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}

/**
 * Describes a thrown value in one line, never throwing.
 *
 * @param e Anything thrown.
 * @returns E.g. `RangeError: too much`.
 */
export function describe(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  try {
    return String(e);
  } catch {
    return "an unprintable value";
  }
}

/**
 * Turns a failure of the walk into the `TypeError` callers see, naming the
 * path (and telling a circular structure from a too deep one).
 *
 * @param e What the walk threw.
 * @param root The root of the path, e.g. `value`.
 * @param maxDepth The depth limit, for its message.
 * @returns The error to throw.
 */
export function toTypeError(
  e: unknown,
  root: string,
  maxDepth: number,
): Error {
  if (!(e instanceof PathError)) {
    // e.g. a RangeError from a stack overflow inside a user toJSON.
    return new TypeError(
      `cannot encode ${root}: ${describe(e)}`,
      { cause: e },
    );
  }
  const segments = e.segments.reverse();
  const chain = e.chain.reverse();
  if (e.depth) {
    // chain[i] is the container at segments[0..i). Find where it closes.
    const seen = new Map<unknown, number>();
    for (let i = 0; i < chain.length; i++) {
      const at = seen.get(chain[i]);
      if (at !== undefined) {
        return new TypeError(
          `cannot encode ${
            errorPath(root, segments.slice(0, i))
          }: circular structure (refers back to ${
            errorPath(root, segments.slice(0, at))
          })`,
        );
      }
      seen.set(chain[i], i);
    }
    return new TypeError(
      `cannot encode ${
        errorPath(root, segments.slice(0, 8))
      }...: nested deeper than ${maxDepth} levels`,
    );
  }
  return new TypeError(
    `cannot encode ${errorPath(root, segments)}: ${e.message}`,
    e.cause === undefined ? undefined : { cause: e.cause },
  );
}
