import { z } from "zod";

/** One power measurement, as upstream's `PowerReading`. */
export const powerReadingSchema = z.object({ voltage: z.number(), current: z.number() });

export type PowerReading = z.infer<typeof powerReadingSchema>;

/** Apparent power of a reading, in watts. */
export function apparentPower(reading: PowerReading): number {
  return reading.voltage * reading.current;
}
