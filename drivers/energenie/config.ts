/**
 * The `config:` map of an EnerGenie entry, mirroring upstream's keyword arguments.
 */
import { z } from "zod";

function checkHost(host: string, context: z.RefinementCtx): void {
  let url: URL | undefined;
  try {
    url = new URL(`http://${host}`);
  } catch {
    // reported below
  }
  if (
    url === undefined || url.pathname !== "/" || url.search !== "" || url.hash !== "" ||
    url.username !== "" || url.password !== ""
  ) {
    context.addIssue({
      code: "custom",
      message: "expected a host name or address with an optional :port (no scheme or path)",
    });
  }
}

const slotMessage = "slot must be between 1 and 4 (the EG-PMS2-LAN has 4 sockets)";

export const energenieConfigSchema = z.object({
  host: z.string().min(1, { message: "host is required" }).superRefine(checkHost),
  password: z.string().default("1"),
  // Upstream's documented example writes `slot: "1"`, so a string of digits is taken too.
  slot: z.union([z.number(), z.string().regex(/^\s*\d+\s*$/).transform(Number)])
    .pipe(z.number().int({ message: slotMessage }).min(1, slotMessage).max(4, slotMessage))
    .default(1),
}).strict();

export type EnerGenieConfig = z.output<typeof energenieConfigSchema>;
/** What a caller may pass: `password` and `slot` may be left out. */
export type EnerGenieConfigInput = z.input<typeof energenieConfigSchema>;
