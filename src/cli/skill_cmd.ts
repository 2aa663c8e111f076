/**
 * `exprag skill [--write PATH]`: prints SKILL.md, or writes it.
 *
 * @module
 */

import type { Context } from "./context.ts";
import { CliError } from "./format.ts";
import { skillMarkdown } from "./skill.ts";

/**
 * Writes a file, creating missing parent directories with no more than
 * write permission for the file itself: `mkdir -p PATH` (allowed by
 * `--allow-write=PATH`) creates the parents, then the empty directory
 * `PATH` is removed and the file written.
 *
 * @param path The file.
 * @param text Its contents.
 */
export function writeCreatingParents(path: string, text: string): void {
  try {
    Deno.writeTextFileSync(path, text);
    return;
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  Deno.mkdirSync(path, { recursive: true });
  Deno.removeSync(path);
  Deno.writeTextFileSync(path, text);
}

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
    writeCreatingParents(path, text);
  } catch (e) {
    throw new CliError(
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
