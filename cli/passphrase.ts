/**
 * The direct-mode passphrase, from `--passphrase`, `--passphrase-file` or `JMP_GRPC_PASSPHRASE`
 * (the variable `jmp shell` hands to `j`): the latter two keep it out of every `/proc/PID/cmdline`.
 */
import { UsageError } from "./errors.ts";
import { JumpstarterError } from "@jumpstarter/lib/wire";

/** The passphrase flags of `jmp run` and `jmp shell`. */
export interface PassphraseFlags {
  passphrase?: string;
  passphraseFile?: string;
}

/** The environment variable a passphrase may come from. */
export const PASSPHRASE_ENV = "JMP_GRPC_PASSPHRASE";

/**
 * The passphrase to use, if any: the flag, else the file (one trailing newline dropped), else
 * the environment variable.
 *
 * @throws {UsageError} when both flags are given.
 * @throws {JumpstarterError} when the file cannot be read or is empty (naming it).
 */
export async function resolvePassphrase(
  flags: PassphraseFlags,
  env: Record<string, string | undefined> = Deno.env.toObject(),
): Promise<string | undefined> {
  if (flags.passphrase !== undefined && flags.passphraseFile !== undefined) {
    throw new UsageError("only one of --passphrase, --passphrase-file should be specified");
  }
  if (flags.passphrase !== undefined) return flags.passphrase;
  if (flags.passphraseFile !== undefined) {
    const path = flags.passphraseFile;
    let text: string;
    try {
      text = await Deno.readTextFile(path);
    } catch (error) {
      throw new JumpstarterError(
        `Cannot read --passphrase-file ${path}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    const passphrase = text.replace(/\r?\n$/, "");
    if (passphrase === "") throw new JumpstarterError(`--passphrase-file ${path} is empty`);
    return passphrase;
  }
  return env[PASSPHRASE_ENV] || undefined;
}
