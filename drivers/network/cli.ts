/**
 * `j <name> forward-tcp [--address A] PORT` and `j <name> forward-unix [PATH]`: forward a local
 * port or socket to the network endpoint until interrupted, as upstream; `j <name> address
 * [--host] [--port]`: where the endpoint is, for connecting to it directly.
 */
import { Command, InvalidArgumentError } from "commander";
import type { ProgressReporter } from "@jumpstarter/lib/streams";
import {
  InvalidArgumentError as DriverInvalidArgumentError,
  MethodNotFoundError,
  MethodNotImplementedError,
} from "@jumpstarter/lib/wire";
import { describeError, formatHostPort, splitAddress, stripScheme } from "./address.ts";
import type { NetworkClient } from "./client.ts";
import type { ForwarderBase } from "./forward.ts";

/** How the forward commands print and when they stop; tests replace both. */
export interface NetworkCliIo {
  /** Where the listening address is printed (default: stdout). */
  print?: (line: string) => void;
  /** Where per-connection failures are reported (default: stderr). */
  printError?: (line: string) => void;
  /** Stops forwarding when aborted (default: on SIGINT or SIGTERM). */
  signal?: AbortSignal;
}

function portNumber(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value > 65535) {
    throw new InvalidArgumentError(`expected a TCP port (0-65535), got "${text}"`);
  }
  return value;
}

/** Resolves on SIGINT/SIGTERM, or when `signal` aborts. */
function interrupted(signal: AbortSignal | undefined): Promise<void> {
  if (signal) {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      signal.addEventListener("abort", () => resolve(), { once: true });
    });
  }
  return new Promise((resolve) => {
    const names = ["SIGINT", "SIGTERM"] as const;
    const stop = () => {
      for (const name of names) Deno.removeSignalListener(name, stop);
      resolve();
    };
    for (const name of names) Deno.addSignalListener(name, stop);
  });
}

async function serveUntilInterrupted(forwarder: ForwarderBase, io: NetworkCliIo): Promise<void> {
  try {
    await interrupted(io.signal);
  } finally {
    await forwarder.close();
  }
}

/** Builds the network command group for `client`, named `name`. */
export function networkCli(
  client: NetworkClient,
  name: string,
  _context?: { progress: ProgressReporter },
  io: NetworkCliIo = {},
): Command {
  const print = io.print ?? ((line: string) => console.log(line));
  const printError = io.printError ?? ((line: string) => console.error(line));
  const onError = (error: unknown) => printError(`${name}: ${describeError(error)}`);
  const command = new Command(name).description(
    client.description ?? "Generic Network Connection",
  );
  command.command("forward-tcp")
    .description("Forward local TCP port to remote network")
    .option("--address <address>", "local address to listen on", "localhost")
    .argument("<port>", "the TCP port to listen on (0 picks a free one)", portNumber)
    .action(async (port: number, options: { address: string }) => {
      const forwarder = await client.forwardTcp({ address: options.address, port, onError });
      print(formatHostPort(forwarder.address, forwarder.port));
      await serveUntilInterrupted(forwarder, io);
    });
  command.command("forward-unix")
    .description("Forward local Unix domain socket to remote network")
    .argument("[path]", "the socket to listen on (default: a fresh path under $XDG_RUNTIME_DIR)")
    .action(async (path: string | undefined) => {
      const forwarder = await client.forwardUnix(path, { onError });
      print(forwarder.path);
      await serveUntilInterrupted(forwarder, io);
    });
  command.command("address")
    .description("Direct TCP connection to remote network: print the endpoint's address")
    .option("--host", "print only the host")
    .option("--port", "print only the port")
    .action(async (options: { host?: boolean; port?: boolean }) => {
      let address: string;
      try {
        address = await client.address();
      } catch (error) {
        throw addressError(error);
      }
      if (options.host === options.port) return print(stripScheme(address));
      const { host, port } = splitAddress(address);
      print(options.host ? host : port);
    });
  return command;
}

/** Upstream's wording for the two ways `address()` can be refused. */
function addressError(error: unknown): unknown {
  if (error instanceof DriverInvalidArgumentError) {
    return new Error(
      `enable_address mode is not true in the exporter configuration: ${error.message}`,
    );
  }
  if (error instanceof MethodNotFoundError || error instanceof MethodNotImplementedError) {
    return new Error(
      "This exporter does not support direct connection yet, update exporter to 0.7.1 or later",
    );
  }
  return error;
}
