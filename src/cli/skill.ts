/**
 * `exprag skill [--write PATH]`: prints SKILL.md, or writes it (never
 * through a symbolic link, atomically: see safe_write.ts).
 *
 * @module
 */

import type { Context } from "./context.ts";
import { skillMarkdown } from "./skill_md.ts";
import { writeNoFollow } from "./safe_write.ts";
import { RefusedError } from "../errors.ts";

/**
 * Runs `skill`.
 *
 * @param ctx The invocation.
 * @returns The exit code.
 */
export function run(ctx: Context): number {
  const text = skillMarkdown();
  const path = ctx.options.write as string | undefined;
  if (path === undefined) {
    if (ctx.json) ctx.out.line(JSON.stringify({ skill: text }, null, 2));
    else ctx.out.write(text);
    return 0;
  }
  try {
    writeNoFollow(path, text);
  } catch (e) {
    if (e instanceof RefusedError) throw e;
    throw new Error(
      `cannot write ${path}: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  if (ctx.json) {
    ctx.out.line(
      JSON.stringify(
        { written: path, bytes: new TextEncoder().encode(text).length },
        null,
        2,
      ),
    );
  } else ctx.out.line(`wrote ${path}`);
  return 0;
}
