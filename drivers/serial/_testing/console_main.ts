/**
 * `deno run -A _testing/console_main.ts NAME ARGS...`: runs the serial CLI of the child
 * NAME of the exporter session in JUMPSTARTER_HOST, with real stdin/stdout and signals, the way
 * `j NAME ARGS...` will once the package is wired into `j`. Writes its pid to
 * `$SERIAL_CONSOLE_PIDFILE` when set (so tests can signal it).
 */
import { clientRegistryOf, env, UNSAFE_POLICY } from "@jumpstarter/lib/client";
import { driverPackage } from "../package.ts";
import { PySerialClient } from "../client.ts";
import { pyserialCli } from "../cli.ts";

const pidFile = Deno.env.get("SERIAL_CONSOLE_PIDFILE");
if (pidFile) await Deno.writeTextFile(pidFile, String(Deno.pid));
const [name = "serial", ...args] = Deno.args;
let code = 0;
try {
  await using handle = await env({
    policy: UNSAFE_POLICY,
    registry: clientRegistryOf([driverPackage]),
  });
  const client = handle.root.child(name, PySerialClient);
  const program = pyserialCli(client, name).exitOverride();
  for (const command of program.commands) command.exitOverride();
  await program.parseAsync(args, { from: "user" });
  code = Deno.exitCode;
} catch (error) {
  console.error(`Error: ${error instanceof Error ? error.message : String(error)}`);
  code = 1;
}
Deno.exit(code);
