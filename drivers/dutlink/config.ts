/**
 * The `config:` keys of the DUT Link drivers, upstream's `DutlinkConfig` and its subclasses'.
 */
import { z } from "zod";
import { pyserialConfigSchema } from "@jumpstarter/driver-serial/driver";

const seconds = z.number().nonnegative(
  "must be a number of seconds, 0 or more",
);

/** Keys every DUT Link driver takes (upstream's `DutlinkConfig`). */
export const dutlinkBaseShape = {
  serial: z.string().min(1).nullable().default(null),
  "timeout_s": seconds.default(20),
  "storage_timeout": seconds.default(10),
  "storage_leeway": seconds.default(6),
  "storage_fsync_timeout": seconds.default(900),
};

export const dutlinkPowerConfigSchema = z.object(dutlinkBaseShape).strict();

export const dutlinkStorageConfigSchema = z.object({
  ...dutlinkBaseShape,
  "storage_device": z.string().min(
    1,
    "storage_device must name a block device",
  ),
}).strict();

/** DutlinkSerial is a PySerial on the board's tty: PySerial's keys but `url`, and the board's. */
export const dutlinkSerialConfigSchema = z.object({
  ...pyserialConfigSchema.omit({ url: true }).shape,
  ...dutlinkBaseShape,
}).strict();

export const dutlinkConfigSchema = z.object({
  ...dutlinkBaseShape,
  "storage_device": z.string().min(
    1,
    "storage_device must name a block device",
  ),
  "alternate_console": z.string().min(1).nullable().default(null),
  baudrate: z.number().int().positive().default(115200),
}).strict();

export type DutlinkBaseConfig = z.infer<typeof dutlinkPowerConfigSchema>;
export type DutlinkStorageConfig = z.infer<typeof dutlinkStorageConfigSchema>;
export type DutlinkSerialConfig = z.infer<typeof dutlinkSerialConfigSchema>;
export type DutlinkConfig = z.infer<typeof dutlinkConfigSchema>;
