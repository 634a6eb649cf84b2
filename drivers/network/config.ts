import { z } from "zod";

const host = z.string().min(1, "host must not be empty");
const port = z.number().int().min(1).max(65535);

/** `TcpNetwork` / `UdpNetwork` config: the endpoint the exporter connects to. */
export const hostPortConfig = z.object({ host, port }).strict();

/** `UnixNetwork` config: the socket path on the exporter. */
export const unixConfig = z.object({ path: z.string().min(1, "path must not be empty") }).strict();

/** `EchoNetwork` takes no config. */
export const echoConfig = z.object({}).strict();

export type HostPortConfig = z.infer<typeof hostPortConfig>;
export type UnixConfig = z.infer<typeof unixConfig>;
