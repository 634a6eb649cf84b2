/**
 * The `config:` keys of a PySerial entry: upstream's (`url`, `baudrate`, `check_present`,
 * `cps`, `disable_hupcl`) plus this implementation's console log settings; and the same as the
 * driver's constructor options.
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

/** Options of `PySerial` (the config keys, camel-cased). */
export interface PySerialOptions {
  /** Device path (`/dev/ttyUSB0`, a pty), `socket://HOST:PORT` or `loop://`. */
  url: string;
  /** Line speed of a tty (default 115200; harmless on a pty). */
  baudrate?: number;
  /** Open the device once when the driver is created and fail if that is not possible. */
  checkPresent?: boolean;
  /** Directory of the console logs (default: `defaultLogDir()`). */
  logDir?: string;
  /** Largest size of one log file; the newest bytes are kept (default 16 MiB). */
  logMaxBytes?: number;
  /** First part of the log file names (default: the device's base name). */
  logName?: string;
  /** Characters per second: writes are sent one byte at a time this fast (upstream's `cps`). */
  cps?: number;
  /** Clear HUPCL on a tty so closing it does not drop DTR (upstream's `disable_hupcl`). */
  disableHupcl?: boolean;
}
