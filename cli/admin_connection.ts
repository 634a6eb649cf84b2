/**
 * `jmp admin` talks to jmp-controller's AdminService with an admin config (endpoint, admin
 * token, CA), which jmp-controller writes into its state directory on start.
 */
import { parse } from "yaml";
import { z } from "zod";
import {
  adminV1,
  createClient,
  type ServiceClient,
  type ServiceMethods,
} from "@jumpstarter/protos";
import { controllerChannel } from "@jumpstarter/lib/client";
import { JumpstarterError } from "@jumpstarter/lib/wire";

const adminConfigSchema = z.object({
  endpoint: z.string(),
  token: z.string(),
  tls: z.object({ ca: z.string().default(""), insecure: z.boolean().default(false) }).default({
    ca: "",
    insecure: false,
  }),
});

export type AdminConfig = z.infer<typeof adminConfigSchema>;

/** Where `jmp admin` looks without `--admin-config`: `$JMP_ADMIN_CONFIG`, then the default state dir. */
export function defaultAdminConfigPath(): string {
  const fromEnv = Deno.env.get("JMP_ADMIN_CONFIG");
  if (fromEnv) return fromEnv;
  const base = Deno.env.get("XDG_STATE_HOME") || `${Deno.env.get("HOME") ?? "."}/.local/state`;
  return `${base}/jumpstarter/controller/admin.yaml`;
}

export async function loadAdminConfig(path: string): Promise<AdminConfig> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new JumpstarterError(
      `Cannot read the admin config "${path}": ${
        (error as Error).message
      } (jmp-controller writes it into its state directory)`,
    );
  }
  const parsed = adminConfigSchema.safeParse(parse(text));
  if (!parsed.success) {
    throw new JumpstarterError(
      `Invalid admin config "${path}": ${parsed.error.issues[0]!.message}`,
    );
  }
  return parsed.data;
}

export type AdminClient = ServiceClient<ServiceMethods<typeof adminV1.AdminService>>;

/** Connects to the AdminService the config names. */
export async function connectAdmin(config: AdminConfig): Promise<AdminClient & { close(): void }> {
  const channel = await controllerChannel({
    endpoint: config.endpoint,
    token: config.token,
    namespace: "",
    name: "admin",
    kind: "Admin",
    tls: config.tls,
  });
  return Object.assign(createClient(adminV1.AdminService, channel), {
    close: () => channel.close(),
  });
}
