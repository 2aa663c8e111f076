/**
 * Conversions of built-in objects for the encoder (docs/design.md, "Value
 * encoding").
 *
 * @module
 */
import { describe, PathError } from "./encode_error.ts";

/** What {@linkcode replacement} returns for objects it does not convert. */
export const NOT_SPECIAL: unique symbol = Symbol("not special");

function isShared(v: object): boolean {
  return typeof SharedArrayBuffer === "function" &&
    v instanceof SharedArrayBuffer;
}

/**
 * Why an object whose contents cannot be read is refused: a `Promise` (an
 * `async` metric without `await` would otherwise be recorded as `{}`),
 * `WeakMap`, `WeakSet`, `WeakRef`.
 *
 * @param v An object.
 * @returns The reason, or `undefined` for readable objects.
 */
function unreadable(v: object): string | undefined {
  if (v instanceof Promise) {
    return "a Promise cannot be recorded (missing await?)";
  }
  for (const c of [WeakMap, WeakSet, WeakRef]) {
    if (v instanceof c) {
      return `a ${c.name} cannot be recorded (its contents cannot be read)`;
    }
  }
  return undefined;
}

/**
 * The plain replacement of a built-in object that JSON cannot show as is:
 * `Map` → object, `Set` → array, typed arrays and buffers → arrays of
 * numbers, `Error` → `{name, message, stack}`, boxed primitives → their
 * value. The encoder then walks the replacement.
 *
 * @param v An object whose prototype is not `Object.prototype` or null.
 * @returns The replacement, or {@linkcode NOT_SPECIAL} for other objects.
 * @throws {PathError} When reading the object throws, or for a Promise,
 *   WeakMap, WeakSet or WeakRef (their contents cannot be read).
 */
export function replacement(v: object): unknown {
  const hidden = unreadable(v);
  if (hidden !== undefined) throw new PathError(hidden);
  if (v instanceof Map) {
    const o = Object.create(null) as Record<string, unknown>;
    for (const [k, x] of v) {
      let name: string;
      try {
        name = typeof k === "string" ? k : String(k);
      } catch (e) {
        throw new PathError(
          `a Map key cannot be converted to a string (${describe(e)})`,
          false,
          e,
        );
      }
      o[name] = x;
    }
    return o;
  }
  if (v instanceof Set) return [...v];
  if (ArrayBuffer.isView(v)) {
    const arr = v instanceof DataView
      ? Array.from(new Uint8Array(v.buffer, v.byteOffset, v.byteLength))
      : Array.from(v as unknown as ArrayLike<unknown>);
    return arr;
  }
  if (v instanceof ArrayBuffer || isShared(v)) {
    return Array.from(new Uint8Array(v as ArrayBuffer));
  }
  if (v instanceof Error) {
    let name: unknown, message: unknown, stack: unknown;
    try {
      name = v.name;
      message = v.message;
      stack = v.stack;
    } catch (e) {
      throw new PathError(`reading the error threw ${describe(e)}`, false, e);
    }
    return {
      name: String(name),
      message: String(message),
      stack: typeof stack === "string" ? stack : null,
    };
  }
  if (
    v instanceof Number || v instanceof String || v instanceof Boolean ||
    v instanceof BigInt
  ) {
    return v.valueOf();
  }
  return NOT_SPECIAL;
}
