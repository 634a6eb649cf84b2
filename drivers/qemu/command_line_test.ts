import assert from "node:assert/strict";
import { DriverError } from "@jumpstarter/lib/wire";
import { escapeOption, qemuArguments, qemuBinary } from "./command_line.ts";
import { qemuConfig } from "./config.ts";
import { chooseKvm } from "./machine.ts";

/** The value following `option` (the first occurrence). */
function valueOf(args: string[], option: string): string | undefined {
  const index = args.indexOf(option);
  return index < 0 ? undefined : args[index + 1];
}

/** Every value given to a repeated option. */
function valuesOf(args: string[], option: string): string[] {
  return args.flatMap((arg, index) => (arg === option ? [args[index + 1]!] : []));
}

Deno.test("qemuArguments: an aarch64 guest under TCG, paused, on private sockets", () => {
  const config = qemuConfig({ arch: "aarch64" });
  const args = qemuArguments(config, { dir: "/run/vm", kvm: false });
  assert.equal(qemuBinary(config), "qemu-system-aarch64");
  assert.deepEqual(args.slice(0, 4), ["-nodefaults", "-display", "none", "-S"]);
  assert.equal(valueOf(args, "-machine"), "virt");
  assert.equal(valueOf(args, "-accel"), "tcg");
  assert.equal(valueOf(args, "-cpu"), "cortex-a57");
  assert.equal(valueOf(args, "-smp"), "2");
  assert.equal(valueOf(args, "-m"), "512M");
  assert.equal(valueOf(args, "-qmp"), "unix:/run/vm/qmp.sock,server=on,wait=off");
  assert.equal(
    valueOf(args, "-chardev"),
    "socket,id=console,path=/run/vm/console.sock,server=on,wait=off",
  );
  assert.equal(valueOf(args, "-serial"), "chardev:console");
  assert.equal(valueOf(args, "-vnc"), "unix:/run/vm/vnc.sock");
  assert.equal(valueOf(args, "-netdev"), "user,id=eth0");
  assert.ok(!args.includes("-bios"));
  assert.ok(!args.some((arg) => arg.includes("vsock")), "no vhost-vsock: it is not available");
});

Deno.test("qemuArguments: x86_64 with KVM uses the host CPU unless one is configured", () => {
  const kvm = qemuArguments(qemuConfig({ arch: "x86_64" }), { dir: "/d", kvm: true });
  assert.equal(valueOf(kvm, "-machine"), "q35");
  assert.equal(valueOf(kvm, "-accel"), "kvm");
  assert.equal(valueOf(kvm, "-cpu"), "host");
  const tcg = qemuArguments(qemuConfig({ arch: "x86_64" }), { dir: "/d", kvm: false });
  assert.equal(valueOf(tcg, "-cpu"), "qemu64,+ssse3,+sse4.1,+sse4.2,+popcnt");
  const chosen = qemuArguments(qemuConfig({ arch: "x86_64", cpu: "max" }), {
    dir: "/d",
    kvm: true,
  });
  assert.equal(valueOf(chosen, "-cpu"), "max");
});

Deno.test("qemuArguments: firmware, disks, cloud-init seed, port forwards, extra args", () => {
  const config = qemuConfig({
    arch: "x86_64",
    machine: "pc",
    smp: 4,
    mem: "2G",
    hostfwd: {
      ssh: { hostport: 2222, guestport: 22 },
      dns: { protocol: "udp", hostaddr: "0.0.0.0", hostport: 5353, guestport: 53 },
    },
    "extra_args": ["-rtc", "base=utc"],
  });
  const args = qemuArguments(config, {
    dir: "/d",
    kvm: false,
    bios: "/fw/u-boot,x86.bin",
    ovmfCode: "/d/OVMF_CODE.fd",
    ovmfVars: "/d/OVMF_VARS.fd",
    root: { path: "/images/disk,1.qcow2", format: "qcow2" },
    cloudInit: true,
  });
  assert.equal(valueOf(args, "-machine"), "pc");
  assert.equal(valueOf(args, "-smp"), "4");
  assert.equal(valueOf(args, "-m"), "2G");
  assert.equal(
    valueOf(args, "-netdev"),
    "user,id=eth0,hostfwd=tcp:127.0.0.1:2222-:22,hostfwd=udp:0.0.0.0:5353-:53",
  );
  // -bios takes a plain path; option lists need commas doubled
  assert.equal(valueOf(args, "-bios"), "/fw/u-boot,x86.bin");
  assert.deepEqual(valuesOf(args, "-drive"), [
    "if=pflash,format=raw,unit=0,readonly=on,file=/d/OVMF_CODE.fd",
    "if=pflash,format=raw,unit=1,snapshot=on,file=/d/OVMF_VARS.fd",
  ]);
  assert.deepEqual(valuesOf(args, "-blockdev"), [
    "driver=file,node-name=root-file,filename=/images/disk,,1.qcow2",
    "driver=qcow2,node-name=root,file=root-file",
    "driver=vvfat,node-name=cidata,dir=/d/cidata,label=CIDATA,read-only=on",
  ]);
  assert.deepEqual(valuesOf(args, "-device"), [
    "virtio-gpu-pci",
    "virtio-net-pci,netdev=eth0",
    "virtio-blk-pci,drive=root,bootindex=1",
    "virtio-blk-pci,drive=cidata",
  ]);
  assert.deepEqual(args.slice(-2), ["-rtc", "base=utc"]);
});

Deno.test("escapeOption doubles commas", () => {
  assert.equal(escapeOption("/a,b,,c"), "/a,,b,,,,c");
});

Deno.test("chooseKvm: only for the host's architecture with a usable /dev/kvm", () => {
  assert.equal(chooseKvm("auto", "x86_64", "x86_64", true), true);
  assert.equal(chooseKvm("auto", "x86_64", "x86_64", false), false);
  assert.equal(chooseKvm("auto", "aarch64", "x86_64", true), false);
  assert.equal(chooseKvm("tcg", "x86_64", "x86_64", true), false);
  assert.equal(chooseKvm("kvm", "x86_64", "x86_64", true), true);
  assert.throws(
    () => chooseKvm("kvm", "aarch64", "x86_64", true),
    (error: Error) =>
      error instanceof DriverError &&
      /guest arch aarch64 differs from the host's x86_64/.test(error.message),
  );
  assert.throws(() => chooseKvm("kvm", "x86_64", "x86_64", false), /\/dev\/kvm is missing/);
});
