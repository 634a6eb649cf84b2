/**
 * The dialog with U-Boot over a console byte stream: stopping autoboot, getting a fresh prompt,
 * running a command and taking its output.
 */
import type { ByteStream } from "@jumpstarter/lib/streams";
import { DriverError, DriverTimeoutError } from "@jumpstarter/lib/wire";
import { Expect, ExpectEofError, ExpectTimeoutError, outputTail } from "@jumpstarter/lib/streams";
import { commandOutput } from "./commands.ts";

/** What U-Boot prints while it counts down to autoboot. */
export const AUTOBOOT_BANNER = "Hit any key to stop autoboot";
const ESC = "\x1b";
const CTRL_C = "\x03";
/** How long to wait for the prompt after each key that should stop autoboot. */
const KEY_INTERVAL_S = 0.2;
/** How long a prompt at rest takes to answer Ctrl-C. */
const PROMPT_TIMEOUT_S = 5;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** A U-Boot console session on one byte stream (one operation; close it afterwards). */
export class UbootShell implements AsyncDisposable {
  readonly #console: Expect;
  readonly #prompt: RegExp;
  readonly #promptText: string;

  constructor(stream: ByteStream, prompt: string) {
    this.#console = new Expect(stream, { timeout: 60, maxTranscript: 64 * 1024 });
    this.#promptText = prompt;
    // U-Boot prints its prompt at the start of a line (or right after an interrupted command's
    // output, which is where a fresh attachment's text starts); the trailing space may come later
    this.#prompt = new RegExp(`(?:^|\\n)${escapeRegExp(prompt)} ?`);
  }

  /**
   * Waits for the autoboot countdown (or a prompt, when autoboot is off) and presses ESC until
   * the prompt appears.
   */
  async stopAutoboot(timeout: number): Promise<void> {
    const deadline = Date.now() + timeout * 1000;
    const remaining = () => Math.max(0.01, (deadline - Date.now()) / 1000);
    const first = await this.#console.expect([AUTOBOOT_BANNER, this.#prompt], {
      timeout: remaining(),
    });
    if (first.index === 1) return;
    for (;;) {
      await this.#console.send(ESC);
      try {
        await this.#console.expect(this.#prompt, {
          timeout: Math.min(KEY_INTERVAL_S, remaining()),
        });
        return;
      } catch (error) {
        if (!(error instanceof ExpectTimeoutError) || Date.now() >= deadline) {
          throw this.#explain(error, `the U-Boot prompt "${this.#promptText}" after autoboot`);
        }
      }
    }
  }

  /** Cancels whatever is typed (Ctrl-C) and waits for a fresh prompt. */
  async freshPrompt(): Promise<void> {
    await this.#console.send(CTRL_C);
    try {
      await this.#console.expect(this.#prompt, { timeout: PROMPT_TIMEOUT_S });
    } catch (error) {
      throw this.#explain(
        error,
        `the U-Boot prompt "${this.#promptText}" (is the DUT in U-Boot? call reboot_to_console first)`,
      );
    }
  }

  /**
   * Runs one command at a fresh prompt and returns its output: what comes between the echo of
   * the command line and the next prompt.
   */
  async run(command: string, timeout: number): Promise<string> {
    await this.freshPrompt();
    await this.#console.sendline(command);
    try {
      await this.#console.expect(command, { timeout: PROMPT_TIMEOUT_S });
    } catch (error) {
      throw this.#explain(error, `U-Boot to echo "${command}"`);
    }
    try {
      const { before } = await this.#console.expect(this.#prompt, { timeout });
      return commandOutput(before);
    } catch (error) {
      throw this.#explain(error, `U-Boot to finish "${command}"`);
    }
  }

  #explain(error: unknown, what: string): Error {
    if (error instanceof ExpectTimeoutError) {
      return new DriverTimeoutError(
        `Timed out waiting for ${what}; last console output:\n${error.tail}`,
        { cause: error },
      );
    }
    if (error instanceof ExpectEofError) {
      return new DriverError(
        `The console stream ended while waiting for ${what}; last console output:\n${
          outputTail(this.#console.transcript)
        }`,
        { cause: error },
      );
    }
    return error instanceof Error ? error : new Error(String(error));
  }

  close(): Promise<void> {
    return this.#console.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
