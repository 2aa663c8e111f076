/**
 * Process facts for run_start (`process`): pid, ppid, cwd, argv (with
 * secret-looking values redacted), start time in clock ticks, executable.
 *
 * @module
 */
import { startTicks } from "../../procfs.ts";
import type { ProcessInfo, Unavailable } from "../../record.ts";

export type { ProcessInfo };
export { parseStartTicks } from "../../procfs.ts";

/** What a redacted value is replaced with. */
export const REDACTED = "[redacted]";

// A name is secret-looking when one of its words (split at - _ . and case
// changes are not considered) is one of these.
const SECRET_WORDS =
  /(?:^|[-_.])(?:token|secret|secrets|password|passwd|pass|passphrase|apikey|api[-_.]?key|access[-_.]?key|private[-_.]?key|secret[-_.]?key|auth|credentials?|cookie|session[-_.]?key)(?:[-_.]|$)/i;

// A name whose last word is `key` (`--key`, `--wandb-key`, `WANDB_KEY`):
// service keys are passed so; a `--sort-key` is redacted too, the lesser harm.
const KEY_LAST = /(?:^|[-_.])key$/i;

// Well-known token formats, redacted wherever they appear as a whole value.
const SECRET_VALUES =
  /^(?:sk-[A-Za-z0-9_-]{16,}|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|xox[abprs]-[A-Za-z0-9-]{10,}|AKIA[0-9A-Z]{16}|hf_[A-Za-z0-9]{20,}|glpat-[A-Za-z0-9_-]{20,}|eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*)$/;

// HTTP credentials inside a value: `Authorization: Basic <creds>`,
// `Bearer <token>`.
const AUTH_SCHEME =
  /(\bAuthorization:\s*(?:Bearer|Basic|Token|Digest)\s+|\bBearer\s+)[^\s"',;]+/gi;

/**
 * Tells whether a flag or variable name looks like it holds a secret.
 *
 * @param name For example `--api-key`, `HF_TOKEN`, `password`.
 * @returns `true` for names such as `--token`, `--api-key`, `--password`,
 * `--pass`, `--client-secret`, `--wandb-key`, `FOO_TOKEN`; `false` for
 * `--tokenizer`, `--max-tokens` or `--key-metric`.
 */
export function isSecretName(name: string): boolean {
  const bare = name.replace(/^-+/, "");
  return SECRET_WORDS.test(bare) || KEY_LAST.test(bare);
}

function redactUrl(arg: string): string {
  // https://user:password@host → https://user:[redacted]@host, also inside
  // a value (`--db-url=postgres://user:pw@host/db`)
  return arg.replace(
    /\b([a-z][a-z0-9+.-]*:\/\/[^/:@\s]*):[^/@\s]+@/gi,
    `$1:${REDACTED}@`,
  ).replace(AUTH_SCHEME, `$1${REDACTED}`);
}

/**
 * Redacts secret-looking values in an argument list: `--token x`,
 * `--token=x`, `FOO_TOKEN=x`, well-known token formats (and JWTs), passwords
 * in URLs (also inside a value) and `Authorization:` / `Bearer` credentials.
 *
 * @param argv The arguments.
 * @returns A copy with those values replaced by `"[redacted]"`.
 *
 * @example
 * ```ts
 * import { redactArgv } from "./process.ts";
 * redactArgv(["--lr", "0.1", "--api-key", "abc", "HF_TOKEN=xyz"]);
 * // ["--lr", "0.1", "--api-key", "[redacted]", "HF_TOKEN=[redacted]"]
 * ```
 */
export function redactArgv(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.indexOf("=");
    if (arg.startsWith("-") && arg !== "-" && arg !== "--") {
      if (eq > 0) {
        out.push(
          isSecretName(arg.slice(0, eq))
            ? arg.slice(0, eq + 1) + REDACTED
            : redactValue(arg),
        );
      } else {
        out.push(arg);
        if (
          isSecretName(arg) && i + 1 < argv.length &&
          !argv[i + 1].startsWith("--")
        ) {
          out.push(REDACTED);
          i++;
        }
      }
    } else if (eq > 0 && /^[A-Za-z_][\w.-]*$/.test(arg.slice(0, eq))) {
      out.push(
        isSecretName(arg.slice(0, eq))
          ? arg.slice(0, eq + 1) + REDACTED
          : redactValue(arg),
      );
    } else {
      out.push(redactValue(arg));
    }
  }
  return out;
}

function redactValue(arg: string): string {
  if (SECRET_VALUES.test(arg)) return REDACTED;
  const eq = arg.indexOf("=");
  if (eq > 0 && SECRET_VALUES.test(arg.slice(eq + 1))) {
    return arg.slice(0, eq + 1) + REDACTED;
  }
  return redactUrl(arg);
}

/**
 * The script being run: the main module, or in a Worker (where
 * `Deno.mainModule` is undefined) the worker's module.
 */
function mainModulePath(): string {
  const main = mainModule();
  if (!main.startsWith("file:")) return main;
  try {
    const url = new URL(main);
    let path = decodeURIComponent(url.pathname);
    if (Deno.build.os === "windows") {
      path = path.replace(/^\/([A-Za-z]:)/, "$1").replaceAll("/", "\\");
    }
    return path;
  } catch {
    return main;
  }
}

function mainModule(): string {
  let main: unknown;
  try {
    main = Deno.mainModule;
  } catch { /* not available here */ }
  if (typeof main === "string") return main;
  // In a Worker, location is the worker's module.
  const loc = (globalThis as { location?: { href?: unknown } }).location;
  return typeof loc?.href === "string" ? loc.href : "unknown";
}

/**
 * Captures the process facts, never prompting.
 *
 * @param unavailable Receives a reason for every field that is `null`.
 * @returns The `process` object.
 */
export function captureProcess(unavailable: Unavailable): ProcessInfo {
  const attempt = <T>(key: string, f: () => T): T | null => {
    try {
      return f();
    } catch (e) {
      unavailable[key] = (e as Error).message;
      return null;
    }
  };
  const execPath = attempt("process.exec_path", () => Deno.execPath());
  const ticks = startTicks("self");
  if ("unavailable" in ticks) {
    unavailable["process.start_ticks"] = ticks.unavailable;
  }
  return {
    pid: Deno.pid,
    ppid: attempt("process.ppid", () => Deno.ppid),
    cwd: attempt("process.cwd", () => Deno.cwd()),
    argv: redactArgv([execPath ?? "deno", mainModulePath(), ...Deno.args]),
    start_ticks: "value" in ticks ? ticks.value : null,
    exec_path: execPath,
  };
}
