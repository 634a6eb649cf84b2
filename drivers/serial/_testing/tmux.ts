/**
 * A private tmux server (its own socket, no user config) holding one pane running `sh`: the
 * terminal the console tests type into and read from.
 */

async function run(args: string[], env: Record<string, string> = {}): Promise<string> {
  const output = await new Deno.Command("tmux", { args, env, stdin: "null" }).output();
  if (!output.success) {
    throw new Error(`tmux ${args.join(" ")} failed: ${new TextDecoder().decode(output.stderr)}`);
  }
  return new TextDecoder().decode(output.stdout);
}

/** One tmux pane. */
export class TmuxPane implements AsyncDisposable {
  readonly #socket: string;

  private constructor(socket: string) {
    this.#socket = socket;
  }

  /** Starts a detached 120x40 session running `sh` with `env` added to its environment. */
  static async start(socket: string, env: Record<string, string>): Promise<TmuxPane> {
    const extra = Object.entries(env).flatMap(([key, value]) => ["-e", `${key}=${value}`]);
    await run(
      [
        "-S",
        socket,
        "-f",
        "/dev/null",
        "new-session",
        "-d",
        "-s",
        "t",
        "-x",
        "120",
        "-y",
        "40",
        ...extra,
        "sh",
      ],
      { TERM: "xterm", ...env },
    );
    return new TmuxPane(socket);
  }

  #tmux(...args: string[]): Promise<string> {
    return run(["-S", this.#socket, ...args]);
  }

  /** Types `text` literally. */
  async type(text: string): Promise<void> {
    await this.#tmux("send-keys", "-t", "t", "-l", "--", text);
  }

  /** Presses keys by tmux name (`Enter`, `C-c`). */
  async press(...keys: string[]): Promise<void> {
    await this.#tmux("send-keys", "-t", "t", ...keys);
  }

  /** Sends raw bytes, e.g. `[0x02]` for Ctrl-B (never taken as tmux's prefix this way). */
  async sendBytes(bytes: number[]): Promise<void> {
    const hex = bytes.map((b) => b.toString(16).padStart(2, "0"));
    await this.#tmux("send-keys", "-t", "t", "-H", ...hex);
  }

  /** The screen and scrollback, trailing blank lines removed. */
  async screen(): Promise<string> {
    return (await this.#tmux("capture-pane", "-p", "-t", "t", "-S", "-500")).trimEnd();
  }

  /** The pane's terminal device (for `stty -F`). */
  async tty(): Promise<string> {
    return (await this.#tmux("display-message", "-p", "-t", "t", "#{pane_tty}")).trim();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#tmux("kill-server").catch(() => {});
  }
}

/** `stty -a` of a terminal device. */
export async function sttySettings(device: string): Promise<string> {
  const output = await new Deno.Command("stty", { args: ["-F", device, "-a"], stdin: "null" })
    .output();
  return new TextDecoder().decode(output.stdout);
}

/** Whether `stty -a` output shows a cooked terminal (canonical input with echo). */
export function isCooked(settings: string): boolean {
  return /(^|\s)icanon(\s|$)/.test(settings) && /(^|\s)echo(\s|$)/.test(settings);
}
