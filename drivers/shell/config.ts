import { z } from "zod";

/** Names usable as a command (`j <shell> <method>`), never mistaken for an option. */
const METHOD_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/** What upstream's Shell runs for a method dict without `command`. */
export const DEFAULT_COMMAND = "echo Hello";

const methodSchema = z.union([
  z.string().trim().min(1, "a method's command must not be empty"),
  z.object({
    /** Upstream runs `echo Hello` for a method given only a description; so do we. */
    command: z.string().trim().min(1, "a method's command must not be empty").default(
      DEFAULT_COMMAND,
    ),
    description: z.string().optional(),
    /** Seconds; overrides the driver's `timeout` for this method. */
    timeout: z.number().positive().optional(),
  }).strict(),
]);

/** Config of `Shell`, as upstream's constructor arguments. */
export const shellConfigSchema = z.object({
  /** Method name to script: a string, or `{command, description?, timeout?}`. */
  methods: z.record(z.string(), methodSchema).superRefine((methods, context) => {
    for (const name of Object.keys(methods)) {
      if (METHOD_NAME.test(name)) continue;
      context.addIssue({
        code: "custom",
        path: [name],
        message: `method name "${name}" may hold letters, digits, '_', '-' and '.', ` +
          "and must not start with '-' or '.'",
      });
    }
  }),
  /** The interpreter and its flags; the script follows, then the method name ($0) and args. */
  shell: z.array(z.string().min(1)).min(1).default(["bash", "-c"]),
  /** Seconds a method may run before its process group is killed. */
  timeout: z.number().positive().default(300),
  cwd: z.string().min(1).nullable().default(null),
}).strict();

export type ShellConfig = z.input<typeof shellConfigSchema>;

/** One configured method, resolved. */
export interface ShellMethod {
  command: string;
  description: string | undefined;
  /** Seconds. */
  timeout: number;
}

/** Resolves each method's command, description and timeout. */
export function resolveMethods(
  config: z.output<typeof shellConfigSchema>,
): Map<string, ShellMethod> {
  const methods = new Map<string, ShellMethod>();
  for (const [name, entry] of Object.entries(config.methods)) {
    methods.set(
      name,
      typeof entry === "string"
        ? { command: entry, description: undefined, timeout: config.timeout }
        : {
          command: entry.command,
          description: entry.description,
          timeout: entry.timeout ?? config.timeout,
        },
    );
  }
  return methods;
}
