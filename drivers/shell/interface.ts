import { z } from "zod";
import { defineInterface, streaming, unary } from "@jumpstarter/lib/driver";

/**
 * Most positional arguments one `call_method` accepts after the method name and the env map
 * (upstream's `*args` is unbounded; the method table needs a fixed list of schemas).
 */
export const MAX_ARGUMENTS = 1024;

/** Environment variables a call adds for the script. */
export const envSchema = z.record(z.string(), z.string());

/** One streamed item of `call_method`: output chunks, and the exit code on the last one. */
export const outputSchema = z.tuple([z.string(), z.string(), z.number().int().nullable()]);

export type OutputItem = z.infer<typeof outputSchema>;

const restArguments = Array.from({ length: MAX_ARGUMENTS }, () => z.string().optional());

/**
 * Shell: configured scripts as remote methods. `call_method(method, env, ...args)` streams
 * `[stdout, stderr, returncode | null]` items, as upstream v0.7.0.
 */
export const shellInterface = defineInterface({
  client: "jumpstarter_driver_shell.client.ShellClient",
  description: "Shell command executor",
  methods: {
    "get_methods": unary([]),
    "call_method": streaming([z.string(), envSchema.nullable().optional(), ...restArguments]),
  },
});
