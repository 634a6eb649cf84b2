import { z } from "zod";

/** What `write` reports: the size and SHA-256 of the decoded bytes that reached the medium. */
export const writeResultSchema = z.object({
  size: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

export type WriteResult = z.infer<typeof writeResultSchema>;

/** Which side a storage mux connects its medium to. */
export type MuxState = "off" | "host" | "dut";
