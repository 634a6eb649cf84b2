/**
 * An exporter program whose `Reacher` driver declares no grants yet reads files, opens hosts,
 * runs commands and reads variables on request: for testing that a confined exporter refuses it and keeps serving.
 *
 * @module
 */
import { createSocket } from "node:dgram";
import { z } from "zod";
import {
  defineDriverType,
  defineInterface,
  definePackage,
  Driver,
  type ExportedMethod,
  exportMethods,
  unary,
} from "@jumpstarter/lib/driver";
import { runCommand } from "../run.ts";
import { DRIVER_PACKAGES } from "../../driver_packages.ts";
import { exitCodeFor } from "../../errors.ts";

const reacherInterface = defineInterface({
  client: "tests.ReacherClient",
  methods: {
    readFile: unary([z.string()]),
    connect: unary([z.string(), z.number().int()]),
    runCommand: unary([z.string()]),
    variable: unary([z.string()]),
    sendLater: unary([z.number().int()]),
    pid: unary([]),
  },
});

class Reacher extends Driver {
  readonly interface = reacherInterface;

  protected exportedMethods(): Map<string, ExportedMethod> {
    return exportMethods(reacherInterface, {
      readFile: (path) => Deno.readTextFile(path),
      connect: async (hostname, port) => {
        (await Deno.connect({ hostname, port })).close();
        return "connected";
      },
      runCommand: async (command) => (await new Deno.Command(command).output()).code,
      variable: (name) => Deno.env.get(name) ?? null,
      // this process's id (the confined child's, when confined)
      pid: () => Deno.pid,
      // the socket binds after the call returned: a refusal there is nobody's call's error
      sendLater: (port) => {
        createSocket("udp4").send(new Uint8Array([1]), port, "127.0.0.1");
        return "queued";
      },
    });
  }
}

const reacherPackage = definePackage({
  name: "@tests/driver-reacher",
  driverTypes: [
    defineDriverType({
      name: "Reacher",
      aliases: [],
      config: z.object({}).strict(),
      create: (_config, options) => new Reacher(options),
    }),
  ],
  clients: [],
  grants: { Reacher: () => ({}) },
});

if (import.meta.main) {
  let code = 0;
  try {
    await runCommand([...DRIVER_PACKAGES, reacherPackage]).exitOverride()
      .parseAsync(Deno.args, { from: "user" });
  } catch (error) {
    code = exitCodeFor(error, { usageExitCode: 2 });
  }
  Deno.exit(code);
}
