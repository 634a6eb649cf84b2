/**
 * Test support: the DUT Link firmware's serial shell, emulated on one end of a real pty pair made
 * by socat (the driver opens the other end as the board's tty). It echoes what it receives,
 * prompts `#> `, and knows `about`, `version`, `status`, `power <action>`, `storage <action>` and
 * `console` (a pass-through to the DUT, emulated as a loopback, left with Ctrl-B five times).
 * Power and storage commands act on the same emulated board as the USB requests.
 */
import { startSocat } from "../../serial/_testing/pty.ts";
import type { DutlinkEmulator } from "./dutlink_emulator.ts";

const CTRL_B = 0x02;
const encoder = new TextEncoder();

export class DutlinkConsoleEmulator implements AsyncDisposable {
  /** The tty the driver opens. */
  readonly tty: string;
  readonly #socat: AsyncDisposable;
  readonly #port: Deno.FsFile;
  readonly #done: Promise<void>;
  #line = "";
  #consoleMode = false;
  #ctrlB = 0;

  private constructor(
    tty: string,
    socat: AsyncDisposable,
    port: Deno.FsFile,
    board: DutlinkEmulator,
  ) {
    this.tty = tty;
    this.#socat = socat;
    this.#port = port;
    this.#done = this.#serve(board).catch(() => {});
  }

  /** Starts the shell on a new pty pair in `dir`. */
  static async start(
    dir: string,
    board: DutlinkEmulator,
  ): Promise<DutlinkConsoleEmulator> {
    const boardEnd = `${dir}/board-end`;
    const tty = `${dir}/ttyACM0`;
    const socat = await startSocat(
      `pty,link=${boardEnd},raw,echo=0`,
      `pty,link=${tty},raw,echo=0`,
    );
    const port = await Deno.open(boardEnd, { read: true, write: true });
    return new DutlinkConsoleEmulator(tty, socat, port, board);
  }

  async #send(text: string): Promise<void> {
    await this.#port.write(encoder.encode(text));
  }

  async #serve(board: DutlinkEmulator): Promise<void> {
    for await (const chunk of this.#port.readable) {
      for (const byte of chunk) {
        if (this.#consoleMode) {
          this.#ctrlB = byte === CTRL_B ? this.#ctrlB + 1 : 0;
          if (this.#ctrlB === 5) {
            this.#consoleMode = false;
            await this.#send("\r\nExiting console mode\r\n#> ");
          } else if (byte !== CTRL_B) {
            await this.#port.write(new Uint8Array([byte])); // the DUT's loopback
          }
          continue;
        }
        if (byte === 0x0d || byte === 0x0a) {
          const command = this.#line.trim();
          this.#line = "";
          await this.#send(`\r\n${this.#answer(command, board)}#> `);
        } else {
          this.#line += String.fromCharCode(byte);
          await this.#port.write(new Uint8Array([byte]));
        }
      }
    }
  }

  #answer(command: string, board: DutlinkEmulator): string {
    const [verb, argument] = command.split(/\s+/);
    switch (verb) {
      case "":
        return "";
      case "about":
        return "Jumpstarter test-harness\r\n";
      case "version":
        return "0.0.1-emulated\r\n";
      case "status":
        return `power: ${board.power}\r\nstorage: ${board.storage}\r\n`;
      case "power":
        if (argument === "on" || argument === "off" || argument === "rescue") {
          board.power = argument;
          return "";
        }
        return "Usage: power on|off|force-on|force-off|rescue\r\n";
      case "console":
        this.#consoleMode = true;
        this.#ctrlB = 0;
        return "Entering console mode, type CTRL+B 5 times to exit\r\n";
      default:
        return `Unknown command: ${verb}\r\n`;
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#socat[Symbol.asyncDispose]();
    await this.#done;
    try {
      this.#port.close();
    } catch { /* closed by the failed read */ }
  }
}
