/**
 * A board for driving U-Boot through drivers both implementations have: Debian's U-Boot for
 * qemu_arm64 in real QEMU (TCG), its UART on a TCP server socket (PySerial `socket://`), and a
 * small HTTP power switch (HttpPower) that pauses the machine for "off" and resets and resumes
 * it for "on" through QEMU's monitor. The machine starts powered off (paused before the first
 * instruction).
 */
import assert from "node:assert/strict";
import { eventually } from "@jumpstarter/lib/testing";

const UBOOT_BIOS = "/usr/lib/u-boot/qemu_arm64/u-boot.bin";

export interface QemuUbootBoard extends AsyncDisposable {
  /** PySerial `url` of the UART. */
  readonly serialUrl: string;
  /** HttpPower URLs switching the board. */
  readonly onUrl: string;
  readonly offUrl: string;
  /** Requests the power switch served so far ("on", "off"). */
  readonly switched: string[];
  /** An exporter config (upstream class paths: both implementations load it) wiring it up. */
  readonly config: string;
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

const MONITOR_TIMEOUT_MS = 10_000;

/** Runs one HMP command: done when the monitor prints its next "(qemu) " prompt. */
async function monitorCommand(path: string, command: string): Promise<void> {
  const conn = await Deno.connect({ transport: "unix", path });
  const timer = setTimeout(() => conn.close(), MONITOR_TIMEOUT_MS);
  try {
    await conn.write(new TextEncoder().encode(`${command}\n`));
    let seen = "";
    for await (const chunk of conn.readable) {
      seen += new TextDecoder().decode(chunk);
      // the banner's prompt, then the one after the command
      if (seen.split("(qemu) ").length > 2) return;
    }
    assert.fail(`QEMU's monitor did not finish "${command}" in time: ${JSON.stringify(seen)}`);
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch { /* closed by the timer or the loop */ }
  }
}

/** Starts the board; dispose it to stop QEMU and the power switch. */
export async function startQemuUbootBoard(): Promise<QemuUbootBoard> {
  await Deno.stat(UBOOT_BIOS).catch(() =>
    assert.fail(`${UBOOT_BIOS} is missing: apt-get install -y u-boot-qemu qemu-system-arm`)
  );
  const dir = await Deno.makeTempDir({ prefix: "jmp-uboot-board-" });
  const monitor = `${dir}/monitor.sock`;
  const uartPort = freePort();
  const qemu = new Deno.Command("qemu-system-aarch64", {
    args: [
      ...["-machine", "virt", "-cpu", "cortex-a57", "-m", "256M", "-smp", "1"],
      ...["-display", "none", "-nodefaults", "-S", "-bios", UBOOT_BIOS],
      ...["-serial", `tcp:127.0.0.1:${uartPort},server=on,wait=off`],
      ...["-monitor", `unix:${monitor},server=on,wait=off`],
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(qemu.stderr).text();
  const switched: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const action = new URL(req.url).pathname.slice(1);
    if (action === "off") await monitorCommand(monitor, "stop");
    else if (action === "on") {
      await monitorCommand(monitor, "system_reset");
      await monitorCommand(monitor, "cont");
    } else return new Response("unknown action", { status: 404 });
    switched.push(action);
    return new Response("ok");
  });
  const stop = async () => {
    await server.shutdown();
    try {
      qemu.kill("SIGKILL");
    } catch { /* already gone */ }
    await qemu.status;
    await stderr;
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  // QEMU is ready once its monitor answers
  try {
    await eventually(
      "QEMU's monitor to answer",
      () => monitorCommand(monitor, "info status").then(() => true, () => undefined),
      {
        timeoutMs: 30_000,
      },
    );
  } catch (error) {
    await stop();
    assert.fail(`QEMU did not start: ${error}\n${await stderr}`);
  }
  const base = `http://127.0.0.1:${server.addr.port}`;
  const serialUrl = `socket://127.0.0.1:${uartPort}`;
  return {
    serialUrl,
    onUrl: `${base}/on`,
    offUrl: `${base}/off`,
    switched,
    config: `apiVersion: jumpstarter.dev/v1alpha1
kind: ExporterConfig
metadata: { namespace: default, name: uboot-board }
endpoint: ""
token: ""
export:
  uboot:
    type: jumpstarter_driver_uboot.driver.UbootConsole
    children:
      power:
        type: jumpstarter_driver_http_power.driver.HttpPower
        config:
          power_on: { url: "${base}/on", method: POST }
          power_off: { url: "${base}/off", method: POST }
      serial:
        type: jumpstarter_driver_pyserial.driver.PySerial
        config: { url: "${serialUrl}", check_present: false }
`,
    [Symbol.asyncDispose]: stop,
  };
}
