/**
 * Serves an exporter config whose gpiod drivers reach an emulated chip, with the client tree
 * `j` would get (the power package listed too, for PowerSwitch's PowerClient).
 */
import { parseExporterConfig } from "@jumpstarter/lib/config";
import { buildDriverTree } from "@jumpstarter/lib/exporter";
import { type Driver, driverRegistryOf } from "@jumpstarter/lib/driver";
import { CompositeClient } from "@jumpstarter/lib/client";
import { serve, type Served } from "@jumpstarter/lib/testing";
import { driverPackage as power } from "@jumpstarter/driver-power/package";
import { gpiodPackage } from "../package.ts";
import type { GpioChipEmulator } from "./gpio_chip_emulator.ts";

/** The packages an exporter on `chip` lists. */
export function packagesOn(chip: GpioChipEmulator) {
  return [gpiodPackage(chip), power];
}

/** Builds the tree of `yaml` on `chip`. */
export function treeOn(chip: GpioChipEmulator, yaml: string, file = "lab.yaml"): Promise<Driver> {
  return buildDriverTree(parseExporterConfig(yaml, file), {
    registry: driverRegistryOf(packagesOn(chip)),
    warn: () => {},
  });
}

/** Serves the tree of `yaml` on `chip`. */
export async function serveOn(
  chip: GpioChipEmulator,
  yaml: string,
): Promise<Served<CompositeClient>> {
  const root = await treeOn(chip, yaml);
  return await serve(root, CompositeClient, { packages: packagesOn(chip) });
}
