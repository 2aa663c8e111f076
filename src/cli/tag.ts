/**
 * `exprag tag RUN KEY=VALUE`: sets a tag of a run (the last value of a key
 * wins); `KEY=` (empty value) removes it. Appended to the run's notes file
 * like `exprag note`.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import { MAX_TAG_VALUE, TAG_KEY_RE } from "../note_record.ts";
import type { Context } from "./context.ts";
import { writeBack } from "./note.ts";

/**
 * Splits `KEY=VALUE` at its first `=`; an empty VALUE means "remove".
 *
 * @param arg The argument.
 * @returns The key and the value (`null` to remove).
 * @throws {UsageError} Without `=`, for a key that is not a tag key, or a
 *   value too long or holding a line break.
 */
export function parseTagArg(
  arg: string,
): { key: string; value: string | null } {
  const eq = arg.indexOf("=");
  const key = eq < 0 ? arg : arg.slice(0, eq);
  if (eq < 0 || !TAG_KEY_RE.test(key)) {
    throw new UsageError(
      `invalid tag ${
        JSON.stringify(arg)
      }: expected KEY=VALUE with KEY a letter or _ then letters, digits, _ or - (at most 64), e.g. verdict=diverged; KEY= removes the tag`,
      "tag",
    );
  }
  const value = arg.slice(eq + 1);
  if (value.length > MAX_TAG_VALUE || /[\n\r]/.test(value)) {
    throw new UsageError(
      `invalid tag ${key}: the value must be one line of at most ${MAX_TAG_VALUE} characters`,
      "tag",
    );
  }
  return { key, value: value === "" ? null : value };
}

/**
 * Runs `tag`.
 *
 * @param ctx The invocation.
 * @returns The exit code.
 */
export function run(ctx: Context): Promise<number> {
  const { key, value } = parseTagArg(ctx.args[1]);
  return writeBack(
    ctx,
    { kind: "tag", key, value },
    (_, id) =>
      value === null
        ? `removed tag ${key} of run ${id}`
        : `tagged run ${id} ${key}=${value}`,
  );
}
