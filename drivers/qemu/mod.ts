/**
 * QEMU virtual DUTs (upstream `jumpstarter_driver_qemu`): the interfaces, the clients (QemuClient
 * for the composite, FlasherClient for its flasher), the composite's CLI (`resize`) and the
 * flasher CLI. The console child uses
 * the serial client (PySerialClient) and the power child VirtualPowerClient. The exporter-side
 * driver (Qemu) is in `./driver`.
 *
 * @module
 */
export { consoleInterface, flasherInterface, qemuInterface } from "./interface.ts";
export { type DumpOptions, FlasherClient, type FlashOptions, QemuClient } from "./client.ts";
export { flasherCli, type FlasherCliContext, flashPlan } from "./cli.ts";
export { qemuCli, type QemuCliContext } from "./qemu_cli.ts";
