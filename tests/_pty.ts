// Running a command under a pseudo-terminal (script -qec), where Deno sees a
// TTY and WOULD prompt for a permission it lacks, WITHOUT --no-prompt: a
// prompt shows either as Deno's prompt text in the output or as the command
// hanging past the timeout.
import { CLI_URL } from "./_helpers.ts";

/** Seconds a command may take before it counts as waiting at a prompt. */
const TIMEOUT_S = 30;

/** Deno's permission prompt and its answers; git's credential prompts. */
const PROMPT =
  /Allow\?|Deno requests|⚠️|Granted |Denied |\[y\/n|(?:^|[\r\n])(?:Username|Password) for '/;

function shellWord(s: string): string {
  return `'${s.replaceAll("'", `'"'"'`)}'`;
}

/** One command to run under a pseudo-terminal. */
export interface PtyCase {
  name: string;
  flags: string[];
  args: string[];
  /** The script to run (default cli.ts). */
  script?: string;
  /** The environment of the command (default: inherited). */
  env?: Record<string, string>;
}

/** Runs one command under a pseudo-terminal, killed at the first prompt text. */
export async function underPty(
  cwd: string,
  c: PtyCase,
): Promise<{ code: number | null; text: string; prompted: boolean }> {
  // deliberately no --no-prompt: only the CLI's own checks keep it quiet
  const words = [
    Deno.execPath(),
    "run",
    "--no-config",
    ...c.flags,
    c.script ?? CLI_URL,
  ];
  const cmd = [...words, ...c.args].map(shellWord).join(" ");
  const child = new Deno.Command("script", {
    args: ["-qec", cmd, "/dev/null"],
    cwd,
    env: c.env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let hung = false;
  const timer = setTimeout(() => {
    hung = true;
    child.kill("SIGKILL");
  }, TIMEOUT_S * 1000);
  let text = "";
  const decoder = new TextDecoder();
  const errText = new Response(child.stderr).text();
  for await (const chunk of child.stdout) {
    text += decoder.decode(chunk, { stream: true });
    if (PROMPT.test(text)) {
      child.kill("SIGKILL"); // it waits for an answer: no need to wait longer
      break;
    }
  }
  const status = await child.status;
  clearTimeout(timer);
  text += await errText;
  return {
    code: status.signal === null ? status.code : null,
    text,
    prompted: PROMPT.test(text) || hung,
  };
}
