/**
 * The `config:` map of a Tftp entry, as upstream's constructor keywords.
 */
import { z } from "zod";

export const tftpConfigSchema = z.object({
  "root_dir": z.string().min(1, "root_dir must name a directory").default("/var/lib/tftpboot"),
  /** Empty means: the address of the default-route interface (as upstream). */
  host: z.string().default(""),
  /** 0 picks a free port (useful in tests); `get_port` then reports the real one. */
  port: z.number({ error: "port must be a number" }).int().min(0).max(
    65535,
    "port must be 0..65535",
  )
    .default(69),
  /** Upstream removes the files a session created; here they are kept (a warning says so). */
  "remove_created_on_close": z.boolean().optional(),
}).strict();

export type TftpConfig = z.output<typeof tftpConfigSchema>;
