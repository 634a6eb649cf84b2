import { z } from "zod";

const host = z.string().min(1, "host must not be empty");
const port = z.number().int().min(1).max(65535);

/**
 * `TcpNetwork` / `UdpNetwork` config: the endpoint the exporter connects to, and whether
 * `address()` may tell it to clients (upstream's `enable_address`, default true).
 */
export const hostPortConfig = z.object({
  host,
  port,
  "enable_address": z.boolean().default(true),
}).strict();

/** `UnixNetwork` config: the socket path on the exporter. */
export const unixConfig = z.object({ path: z.string().min(1, "path must not be empty") }).strict();

/** `EchoNetwork` takes no config. */
export const echoConfig = z.object({}).strict();

export type HostPortConfig = z.input<typeof hostPortConfig>;
export type UnixConfig = z.infer<typeof unixConfig>;
