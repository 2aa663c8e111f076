/**
 * Value encoding for track values and metadata (docs/design.md, "Value
 * encoding").
 *
 * The hot path is a single recursive walk that
 * - leaves plain JSON values untouched (the very same object is returned, so
 *   the native `JSON.stringify` serializes the user's value directly),
 * - copies only the containers on the way to a value that needs converting
 *   (NaN, `Map`, `Date`, ...), into null-prototype objects so that keys like
 *   `__proto__` survive,
 * - and collects the numeric leaves for the run summary at the same time,
 *   against a cache of path nodes, so no path string is built per call.
 *
 * Cycles are not tracked on the way down (that would cost every call); a
 * cycle runs into the depth limit, and only then the chain of objects is
 * inspected to tell a circular structure from a too deeply nested one.
 *
 * @module
 */
import { childPath, listPath } from "../value_path.ts";
import { describe, PathError, toTypeError } from "./encode_error.ts";
import { NOT_SPECIAL, replacement } from "./encode_special.ts";

/**
 * The deepest nesting of containers (objects, arrays, maps, ...) a track
 * value or the metadata may have: 200 levels.
 *
 * Deeper values are refused with a `TypeError` (never a stack overflow):
 * common readers cannot handle much deeper documents (jq's parser stops at
 * depth 256 per record, Python's `json` near its recursion limit of 1000).
 * No permissions needed.
 *
 * @example Deeper values are refused
 * ```ts
 * import { encodeValue, MAX_DEPTH } from "./encode.ts";
 * import { throws } from "node:assert/strict";
 *
 * let v: unknown = 1;
 * for (let i = 0; i <= MAX_DEPTH; i++) v = [v];
 * throws(() => encodeValue(v), TypeError); // nested deeper than 200 levels
 * ```
 */
export const MAX_DEPTH = 200;

/** Most path nodes cached per encoder (dynamic keys must not grow memory). */
const MAX_NODES = 4096;

const OBJECT_PROTO = Object.prototype;
const hasOwn = Object.hasOwn;
const getProto = Object.getPrototypeOf;
const isArray = Array.isArray;

/** A node of the path tree: the summary path of a position in a value. */
interface PathNode {
  path: string;
  /** The object key this node is reached by (`""` for items and roots). */
  key: string;
  /** `"key":` as JSON writes it, once the text walk has needed it. */
  keyText: string | null;
  children: Map<string, PathNode> | null;
  item: PathNode | null;
  /**
   * Inline cache: the key and child seen at each position of this node's
   * objects (objects of one shape list their keys in the same order), so the
   * common case is a pointer comparison instead of a map lookup.
   */
  posKeys: string[];
  posNodes: PathNode[];
}

/** Objects with more keys are "wide": see {@linkcode ValueEncoder.prototype.json}. */
const WIDE = 32;

/** Most positions kept in a node's inline cache. */
const MAX_POSITIONS = 1024;
/** Most positions kept in all the inline caches of one encoder. */
const MAX_ALL_POSITIONS = 16384;

function newNode(path: string, key: string): PathNode {
  return {
    path,
    key,
    keyText: null,
    children: null,
    item: null,
    posKeys: [],
    posNodes: [],
  };
}

/** `"key":`, the text JSON writes before a property's value. */
function keyText(node: PathNode): string {
  return node.keyText ??= JSON.stringify(node.key) + ":";
}

const isRawJSON = (JSON as { isRawJSON?: (v: unknown) => boolean })
  .isRawJSON ?? (() => false);

/** Why a function, a symbol (or any other type JSON has no form for) is refused. */
function unrecordable(v: unknown): PathError {
  const t = typeof v;
  return new PathError(
    t === "function"
      ? "functions cannot be recorded"
      : t === "symbol"
      ? "symbols cannot be recorded"
      : `values of type ${t} cannot be recorded`,
  );
}

/**
 * The result of an object's `toJSON(key)`, or {@linkcode NOT_SPECIAL} when it
 * has none.
 *
 * @throws {PathError} When `toJSON` throws.
 */
function viaToJSON(v: object, key: string | number): unknown {
  const toJSON = (v as { toJSON?: unknown }).toJSON;
  if (typeof toJSON !== "function") return NOT_SPECIAL;
  try {
    return toJSON.call(v, String(key));
  } catch (e) {
    throw new PathError(`toJSON() threw ${describe(e)}`, false, e);
  }
}

/**
 * Encodes values as recorded by the tracker and collects their numeric
 * leaves (for the run summary). One encoder per run: it caches the summary
 * paths of the value shapes it has seen.
 */
export class ValueEncoder {
  readonly #root: string;
  readonly #rootNode: PathNode;
  #nodes = 1;
  #positions = 0;
  /** Whether the last value held an object wider than WIDE keys. */
  #wide = false;
  /** Whether the walk under way has met such an object. */
  #sawWide = false;
  /** Summary paths of the numeric leaves found by the last `encode`. */
  readonly leafPaths: string[] = [];
  /** Values (as numbers; NaN for `"NaN"`) of the numeric leaves of the last `encode`. */
  readonly leafValues: number[] = [];
  /** How many entries of `leafPaths`/`leafValues` belong to the last `encode`. */
  leafCount = 0;

  /**
   * Creates an encoder whose paths start at `root`.
   *
   * @param root The root of summary paths and error paths (`value`).
   */
  constructor(root = "value") {
    this.#root = root;
    this.#rootNode = newNode(root, "");
  }

  /**
   * Encodes a value. Returns the value itself when nothing needs converting.
   *
   * @param value Any value.
   * @returns The encoded value (may be `undefined` for a top-level `undefined`).
   * @throws {TypeError} For functions, symbols, cycles, throwing getters and
   * too deep nesting, naming the path.
   */
  encode(value: unknown): unknown {
    this.leafCount = 0;
    try {
      return this.#walk(value, this.#rootNode, 0, "");
    } catch (e) {
      this.leafCount = 0;
      throw toTypeError(e, this.#root, MAX_DEPTH);
    }
  }

  /**
   * The JSON text of an encoded value: exactly `JSON.stringify(encode(value))`,
   * with the same numeric leaves.
   *
   * `JSON.stringify` is fast on small objects and arrays but slow on wide
   * objects (V8 keeps an object built by many assignments in dictionary
   * mode), and walking the value twice, once to encode it and once to
   * serialize it, doubles the cost there. So when the previous value held
   * an object wider than 32 keys (records of a run repeat their shape),
   * objects are written as text during the encoding walk itself, each
   * property read once; arrays and their contents are still encoded, then
   * serialized by `JSON.stringify`. Otherwise the value is encoded, then
   * serialized.
   *
   * @param value Any value.
   * @returns The JSON text, or `undefined` for a top-level `undefined`.
   * @throws {TypeError} As {@linkcode ValueEncoder.prototype.encode}, and
   *   when serializing the encoded value throws (e.g. a getter that throws
   *   the second time it is read).
   */
  json(value: unknown): string | undefined {
    this.leafCount = 0;
    this.#sawWide = false;
    const wide = this.#wide;
    let encoded: unknown;
    try {
      if (wide) return this.#text(value, this.#rootNode, 0, "");
      encoded = this.#walk(value, this.#rootNode, 0, "");
    } catch (e) {
      this.leafCount = 0;
      throw toTypeError(e, this.#root, MAX_DEPTH);
    } finally {
      this.#wide = this.#sawWide;
    }
    try {
      return JSON.stringify(encoded);
    } catch (e) {
      this.leafCount = 0;
      throw new TypeError(
        `cannot encode ${this.#root}: ${(e as Error).message}`,
        { cause: e },
      );
    }
  }

  #child(node: PathNode, key: string): PathNode {
    let children = node.children;
    if (children === null) {
      if (this.#nodes >= MAX_NODES) {
        return newNode(childPath(node.path, key), key);
      }
      children = node.children = new Map();
    }
    let child = children.get(key);
    if (child === undefined) {
      child = newNode(childPath(node.path, key), key);
      if (this.#nodes < MAX_NODES) {
        children.set(key, child);
        this.#nodes++;
      }
    }
    return child;
  }

  #item(node: PathNode): PathNode {
    let item = node.item;
    if (item === null) {
      item = newNode(listPath(node.path), "");
      if (this.#nodes < MAX_NODES) {
        node.item = item;
        this.#nodes++;
      }
    }
    return item;
  }

  #leaf(node: PathNode, n: number): void {
    const i = this.leafCount++;
    this.leafPaths[i] = node.path;
    this.leafValues[i] = n;
  }

  /** The strings `"NaN"`, `"Infinity"`, `"-Infinity"` are numeric leaves. */
  #stringLeaf(node: PathNode, v: string): void {
    if (v === "NaN") this.#leaf(node, NaN);
    else if (v === "Infinity") this.#leaf(node, Infinity);
    else if (v === "-Infinity") this.#leaf(node, -Infinity);
  }

  #walk(
    v: unknown,
    node: PathNode,
    depth: number,
    key: string | number,
  ): unknown {
    switch (typeof v) {
      case "number":
        this.#leaf(node, v);
        if (v - v === 0) return v; // finite
        return v !== v ? "NaN" : v > 0 ? "Infinity" : "-Infinity";
      case "string":
        if (v.length <= 9) this.#stringLeaf(node, v);
        return v;
      case "boolean":
      case "undefined":
        return v;
      case "object":
        if (v === null) return v;
        return this.#object(v, node, depth, key);
      case "bigint":
        if (v <= 9007199254740991n && v >= -9007199254740991n) {
          const n = Number(v);
          this.#leaf(node, n);
          return n;
        }
        return v.toString();
      default:
        throw unrecordable(v);
    }
  }

  #object(
    v: object,
    node: PathNode,
    depth: number,
    key: string | number,
  ): unknown {
    if (depth >= MAX_DEPTH) throw new PathError("too deep", true);
    const r = viaToJSON(v, key);
    if (r !== NOT_SPECIAL) return this.#converted(r, v, node, depth);
    if (isArray(v)) return this.#array(v, node, depth);
    const proto = getProto(v);
    if (proto !== OBJECT_PROTO && proto !== null) {
      const replaced = replacement(v);
      if (replaced !== NOT_SPECIAL) {
        return this.#converted(replaced, v, node, depth);
      }
    }
    return this.#plain(v as Record<string, unknown>, node, depth);
  }

  /** Encodes the replacement `r` of container `v` (toJSON result, Map, ...). */
  #converted(r: unknown, v: object, node: PathNode, depth: number): unknown {
    try {
      return this.#walk(r, node, depth + 1, "");
    } catch (e) {
      throw this.#unwind(e, null, v);
    }
  }

  #array(v: unknown[], node: PathNode, depth: number): unknown {
    const item = this.#item(node);
    let out: unknown[] | undefined;
    let i = 0;
    try {
      const n = v.length;
      for (; i < n; i++) {
        const c = v[i];
        let r: unknown;
        if (typeof c === "number" && c - c === 0) {
          const k = this.leafCount++;
          this.leafPaths[k] = item.path;
          this.leafValues[k] = c;
          r = c;
        } else {
          r = this.#walk(c, item, depth + 1, i);
        }
        if (out !== undefined) out[i] = r === undefined ? null : r;
        else if (r !== c) {
          out = new Array(n);
          for (let j = 0; j < i; j++) out[j] = v[j] === undefined ? null : v[j];
          out[i] = r === undefined ? null : r;
        }
      }
    } catch (e) {
      throw this.#unwind(e, i, v);
    }
    return out ?? v;
  }

  #plain(v: Record<string, unknown>, node: PathNode, depth: number): unknown {
    let out: Record<string, unknown> | undefined;
    let key: string | undefined;
    let pos = 0;
    const posKeys = node.posKeys;
    try {
      for (key in v) {
        if (!hasOwn(v, key)) continue;
        const c = v[key];
        const child = posKeys[pos] === key
          ? node.posNodes[pos]
          : this.#childAt(node, key, pos);
        pos++;
        let r: unknown;
        if (typeof c === "number" && c - c === 0) {
          const k = this.leafCount++;
          this.leafPaths[k] = child.path;
          this.leafValues[k] = c;
          r = c;
        } else {
          r = this.#walk(c, child, depth + 1, key);
        }
        if (out !== undefined) {
          if (r !== undefined) out[key] = r;
        } else if (r !== c) {
          out = Object.create(null) as Record<string, unknown>;
          for (const k in v) {
            if (k === key) break;
            if (hasOwn(v, k) && v[k] !== undefined) out[k] = v[k];
          }
          if (r !== undefined) out[key] = r;
        }
      }
    } catch (e) {
      throw this.#unwind(e, key, v);
    }
    if (pos > WIDE) this.#sawWide = true;
    return out ?? v;
  }

  #text(
    v: unknown,
    node: PathNode,
    depth: number,
    key: string | number,
  ): string | undefined {
    switch (typeof v) {
      case "number":
        this.#leaf(node, v);
        if (v - v === 0) return "" + v; // finite: JSON writes ToString(v)
        return v !== v ? '"NaN"' : v > 0 ? '"Infinity"' : '"-Infinity"';
      case "string":
        if (v.length <= 9) this.#stringLeaf(node, v);
        return JSON.stringify(v);
      case "boolean":
        return v ? "true" : "false";
      case "undefined":
        return undefined;
      case "object":
        if (v === null) return "null";
        return this.#objectText(v, node, depth, key);
      case "bigint":
        if (v <= 9007199254740991n && v >= -9007199254740991n) {
          const n = Number(v);
          this.#leaf(node, n);
          return "" + n;
        }
        return '"' + v.toString() + '"';
      default:
        throw unrecordable(v);
    }
  }

  #objectText(
    v: object,
    node: PathNode,
    depth: number,
    key: string | number,
  ): string | undefined {
    if (depth >= MAX_DEPTH) throw new PathError("too deep", true);
    const r = viaToJSON(v, key);
    if (r !== NOT_SPECIAL) return this.#convertedText(r, v, node, depth);
    if (isArray(v)) return this.#arrayText(v, node, depth);
    const proto = getProto(v);
    if (proto !== OBJECT_PROTO) {
      if (proto === null) {
        // JSON.rawJSON(text): JSON.stringify writes the text as it is.
        if (isRawJSON(v)) return (v as { rawJSON: string }).rawJSON;
      } else {
        const replaced = replacement(v);
        if (replaced !== NOT_SPECIAL) {
          return this.#convertedText(replaced, v, node, depth);
        }
      }
    }
    return this.#plainText(v as Record<string, unknown>, node, depth);
  }

  #convertedText(
    r: unknown,
    v: object,
    node: PathNode,
    depth: number,
  ): string | undefined {
    try {
      return this.#text(r, node, depth + 1, "");
    } catch (e) {
      throw this.#unwind(e, null, v);
    }
  }

  #arrayText(v: unknown[], node: PathNode, depth: number): string {
    // JSON.stringify writes arrays (of numbers above all) faster than text
    // built in JavaScript: encode the array, then serialize it.
    const encoded = this.#array(v, node, depth);
    try {
      return JSON.stringify(encoded);
    } catch (e) {
      throw new PathError(`reading it threw ${describe(e)}`, false, e);
    }
  }

  #plainText(
    v: Record<string, unknown>,
    node: PathNode,
    depth: number,
  ): string {
    let keys: string[];
    try {
      keys = Object.keys(v);
    } catch (e) {
      throw this.#unwind(e, undefined, v);
    }
    let out = "{";
    let i = 0;
    const n = keys.length;
    if (n > WIDE) this.#sawWide = true;
    const posKeys = node.posKeys;
    try {
      for (; i < n; i++) {
        const key = keys[i];
        const c = v[key];
        const child = posKeys[i] === key
          ? node.posNodes[i]
          : this.#childAt(node, key, i);
        let t: string | undefined;
        if (typeof c === "number" && c - c === 0) {
          const k = this.leafCount++;
          this.leafPaths[k] = child.path;
          this.leafValues[k] = c;
          t = "" + c;
        } else {
          t = this.#text(c, child, depth + 1, key);
          if (t === undefined) continue;
        }
        out += out.length === 1 ? keyText(child) + t : "," + keyText(child) + t;
      }
    } catch (e) {
      throw this.#unwind(e, keys[i], v);
    }
    return out + "}";
  }

  #childAt(node: PathNode, key: string, pos: number): PathNode {
    const child = this.#child(node, key);
    const known = node.posKeys.length;
    if (pos < known) {
      node.posKeys[pos] = key;
      node.posNodes[pos] = child;
    } else if (
      pos === known && pos < MAX_POSITIONS &&
      this.#positions < MAX_ALL_POSITIONS
    ) {
      this.#positions++;
      node.posKeys.push(key);
      node.posNodes.push(child);
    }
    return child;
  }

  #unwind(
    e: unknown,
    key: string | number | null | undefined,
    v: object,
  ): PathError {
    if (key === undefined) {
      // Enumerating the properties failed (e.g. a Proxy's ownKeys trap).
      return e instanceof PathError ? e : new PathError(
        `reading its properties threw ${describe(e)}`,
        false,
        e,
      );
    }
    const pe = e instanceof PathError
      ? e
      : new PathError(`reading it threw ${describe(e)}`, false, e);
    pe.segments.push(key);
    pe.chain.push(v);
    return pe;
  }
}

/**
 * Encodes a value the way the tracker records it: JSON values as they are,
 * NaN and infinities as the strings `"NaN"`, `"Infinity"`, `"-Infinity"`,
 * typed arrays as arrays, `Map` as an object, `Set` as an array, `Date` as an
 * ISO string, `BigInt` as a number when safe (else a decimal string), `Error`
 * as `{name, message, stack}`, objects with `toJSON` as its result.
 *
 * No permissions needed.
 *
 * @param value Any value.
 * @param root The name of the value in error messages (default `value`).
 * @returns The encoded value, ready for `JSON.stringify` (the input itself
 * when nothing needed converting; a top-level `undefined` becomes `null`).
 * @throws {TypeError} For functions, symbols, circular structures, throwing
 * getters and values nested deeper than {@linkcode MAX_DEPTH}, naming the
 * path, e.g. `cannot encode value.metrics.self: circular structure`.
 *
 * @example What a track value is recorded as
 * ```ts
 * import { encodeValue } from "./encode.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * deepEqual(encodeValue({ loss: NaN, seen: new Set([1, 2]), at: new Date(0) }), {
 *   loss: "NaN",
 *   seen: [1, 2],
 *   at: "1970-01-01T00:00:00.000Z",
 * });
 * ```
 */
export function encodeValue(value: unknown, root = "value"): unknown {
  const out = new ValueEncoder(root).encode(value);
  return out === undefined ? null : out;
}
