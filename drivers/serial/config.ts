/**
 * The `config:` keys of a PySerial entry: upstream's (`url`, `baudrate`, `check_present`,
 * `cps`, `disable_hupcl`) plus this implementation's console log settings.
 */
import { z } from "zod";
import { parseAddress } from "./address.ts";

/** Default `log_max_bytes`: 16 MiB. */
export const DEFAULT_LOG_MAX_BYTES = 16 * 1024 * 1024;

export const pyserialConfigSchema = z.object({
  url: z.string().min(1).superRefine((url, context) => {
    try {
      parseAddress(url);
    } catch (error) {
      context.addIssue({ code: "custom", message: (error as Error).message });
    }
  }),
  baudrate: z.number().int().positive().default(115200),
  "check_present": z.boolean().default(true),
  // upstream: null or <= 0 means no throttling
  cps: z.number().nullable().optional(),
  "disable_hupcl": z.boolean().default(false),
  "log_dir": z.string().min(1).optional(),
  "log_max_bytes": z.number().int().min(1024).default(DEFAULT_LOG_MAX_BYTES),
  "log_name": z.string().min(1).optional(),
}).strict();

export type PySerialConfig = z.infer<typeof pyserialConfigSchema>;
