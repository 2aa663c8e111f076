/**
 * The shapes of the command definitions (command.ts): options, arguments,
 * the permissions a command needs, examples.
 *
 * @module
 */

/** One `--option` of a command (or a global option). */
export interface OptionDef {
  /** Long name without dashes: `since` → `--since`. */
  readonly name: string;
  /** One-letter alias without dash (`h` → `-h`). */
  readonly short?: string;
  /**
   * Names of the values the option takes, e.g. `["WHEN"]`, or
   * `["PATH", "OP", "VALUE"]` for `--where`. Empty: a boolean flag.
   */
  readonly values: readonly string[];
  /** May be given more than once (values are collected in order). */
  readonly multiple?: boolean;
  /** The accepted values (for one-value options). */
  readonly choices?: readonly string[];
  /** The value is a positive integer. */
  readonly integer?: boolean;
  /** The default, as documented (applied by the command). */
  readonly default?: string;
  /** A typical value, used where the documentation shows the flags this option needs. */
  readonly example?: string;
  /** Options that cannot be combined with this one. */
  readonly conflicts?: readonly string[];
  /** One-line description (help and SKILL.md). */
  readonly description: string;
}

/** One positional argument of a command. */
export interface ArgDef {
  /** Upper-case name, e.g. `RUN`. */
  readonly name: string;
  /** May be left out. */
  readonly optional?: boolean;
  /** Takes every remaining argument (the last argument only). */
  readonly multiple?: boolean;
  /** One-line description. */
  readonly description: string;
}

/** A Deno permission a command needs, in the form the CLI checks and documents. */
export type Needed =
  | { readonly name: "read"; readonly path: string }
  | { readonly name: "write"; readonly path: string }
  | {
    readonly name: "run";
    readonly command: "git";
    /**
     * Needed only when git is installed: without git on PATH the command
     * runs without it (and says what it could not check).
     */
    readonly ifInstalled?: boolean;
  };

/** What a command's permissions depend on. */
export interface PermissionContext {
  /** The exprag directory (`--dir`, `EXPRAG_DIR` or `.exprag`). */
  readonly dir: string;
  /** The parsed options of the command. */
  readonly options: Readonly<Record<string, unknown>>;
}

/** An example invocation for help, SKILL.md and the README. */
export interface Example {
  /** The command line, starting with `exprag `. */
  readonly cmd: string;
  /** What it answers. */
  readonly says: string;
}

/** One sub-command. */
export interface CommandDef {
  /** The command word, e.g. `runs`. */
  readonly name: string;
  /** One-line summary. */
  readonly summary: string;
  /** A few sentences on what the output holds. */
  readonly description: string;
  /** Positional arguments, in order. */
  readonly args: readonly ArgDef[];
  /** Command-specific options (the global ones apply too). */
  readonly options: readonly OptionDef[];
  /** The minimal permissions for a given invocation. */
  readonly permissions: (ctx: PermissionContext) => Needed[];
  /** Does the command change anything on disk? */
  readonly writes: boolean;
  /** Examples. */
  readonly examples: readonly Example[];
}
