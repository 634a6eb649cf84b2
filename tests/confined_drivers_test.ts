/**
 * Drivers served by an exporter running under exactly the grants `jmp-exporter permissions`
 * prints, against real peers: a serial console on a pty (its bytes reach `j serial pipe`), a TFTP
 * server (curl downloads what is there and what `j tftp put` uploaded), SNMP power (a real
 * snmpd records the SET) and an HTTP file server (fetch gets what is served and what was put).
 */
import assert from "node:assert/strict";
import { jmp } from "./_process.ts";
import { spawnJmp } from "./_background.ts";
import { printedPermissions, spawnUnderPrinted } from "./_permissions.ts";
import { ptyPair, waitFor } from "../drivers/serial/_testing/pty.ts";
import { TtyPort } from "../drivers/serial/tty_port.ts";
import { curlGet, sameFile } from "../drivers/tftp/_testing/tftp.ts";
import { Snmpd } from "../drivers/snmp/_testing/snmpd.ts";

const TIMEOUT_MS = 30_000;

/** A UDP port on 127.0.0.1 that was free a moment ago. */
function freeUdpPort(): number {
  const socket = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
  const { port } = socket.addr as Deno.NetAddr;
  socket.close();
  return port;
}

Deno.test("serial and TFTP serve under exactly the printed grants", async () => {
  const dir = await Deno.makeTempDir({ prefix: "jmp-confined-lab-" });
  try {
    const root = `${dir}/tftpboot`;
    await Deno.mkdir(root);
    await Deno.writeFile(`${root}/kernel.img`, crypto.getRandomValues(new Uint8Array(50_000)));
    await using _socat = await ptyPair(`${dir}/dut`, `${dir}/board`);
    const port = freeUdpPort();
    const config = `${dir}/lab.yaml`;
    await Deno.writeTextFile(
      config,
      "apiVersion: jumpstarter.dev/v1alpha1\nkind: ExporterConfig\nexport:\n" +
        `  serial:\n    type: PySerial\n    config: { url: ${dir}/dut, log_dir: ${dir}/logs }\n` +
        `  tftp:\n    type: Tftp\n    config: { root_dir: ${root}, host: 127.0.0.1, port: ${port} }\n`,
    );
    const printed = await printedPermissions(config, ["--socket-dir", `${dir}/run`]);
    const writes = printed.flags.find((flag) => flag.startsWith("--allow-write="));
    assert.equal(writes, `--allow-write=${dir}/run,${dir}/dut,${dir}/logs,${root}`);
    await using exporter = spawnUnderPrinted(config, printed);
    const env = { JUMPSTARTER_HOST: await exporter.firstLine, JMP_DRIVERS_ALLOW: "UNSAFE" };

    // the board's console output reaches the client through the exporter
    const log = `${dir}/console.txt`;
    const started = await jmp(["j", "tftp", "start"], { timeoutMs: TIMEOUT_MS, env });
    assert.equal(started.code, 0, `j tftp start: ${started.stderr}`);
    await using pipe = spawnJmp(["j", "serial", "pipe", "-o", log], { env });
    const board = await TtyPort.open(`${dir}/board`, 115200);
    try {
      await waitFor(
        "the board's line in j serial pipe's output",
        async () => {
          await board.write(new TextEncoder().encode("confined-42\n"));
          const text = await Deno.readTextFile(log).catch(() => "");
          return text.includes("confined-42") || undefined;
        },
        TIMEOUT_MS,
        () => `j: ${JSON.stringify(pipe.printed())}\nexporter: ${exporter.printed().stderr}`,
      );
    } finally {
      await board.close();
    }
    await pipe.stop("SIGINT");

    // a real TFTP client downloads from and uploads to the served root
    const got = await curlGet(port, "kernel.img", `${dir}/got.img`);
    assert.equal(got.code, 0, `curl get: ${got.stderr}\nexporter: ${exporter.printed().stderr}`);
    assert.ok(await sameFile(`${root}/kernel.img`, `${dir}/got.img`));
    // an upload through the driver writes into the root (the TFTP protocol is read-only)
    const put = await jmp(["j", "tftp", "put", `${dir}/got.img`, "--name", "uploaded.img"], {
      timeoutMs: TIMEOUT_MS,
      env,
    });
    assert.equal(put.code, 0, `j tftp put: ${put.stderr}\nexporter: ${exporter.printed().stderr}`);
    assert.ok(await sameFile(`${root}/uploaded.img`, `${dir}/got.img`));
    const again = await curlGet(port, "uploaded.img", `${dir}/again.img`);
    assert.equal(again.code, 0, `curl get: ${again.stderr}`);
    assert.ok(await sameFile(`${root}/kernel.img`, `${dir}/again.img`));

    // the driver lists its root through the exporter too
    const listed = await jmp(["j", "tftp", "list"], { timeoutMs: TIMEOUT_MS, env });
    assert.equal(listed.code, 0, `j tftp list: ${listed.stderr}`);
    assert.match(listed.stdout, /uploaded\.img/);
    await exporter.stop("SIGTERM");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SNMP power serves under exactly the printed grants", async () => {
  const dir = await Deno.makeTempDir({ prefix: "jmp-confined-pdu-" });
  try {
    await using pdu = await Snmpd.start({ communities: ["private"] });
    const config = `${dir}/pdu.yaml`;
    await Deno.writeTextFile(
      config,
      "apiVersion: jumpstarter.dev/v1alpha1\nkind: ExporterConfig\nexport:\n" +
        "  pdu:\n    type: SNMPServer\n    config:\n" +
        `      { host: 127.0.0.1, port: ${pdu.port}, plug: 3, version: 2c, community: private }\n`,
    );
    const printed = await printedPermissions(config, ["--socket-dir", `${dir}/run`]);
    await using exporter = spawnUnderPrinted(config, printed);
    const env = { JUMPSTARTER_HOST: await exporter.firstLine, JMP_DRIVERS_ALLOW: "UNSAFE" };
    const on = await jmp(["j", "pdu", "on"], { timeoutMs: TIMEOUT_MS, env });
    assert.equal(on.code, 0, `j pdu on: ${on.stderr}\nexporter: ${exporter.printed().stderr}`);
    assert.deepEqual(await pdu.sets(), ["3 1"]);
    await exporter.stop("SIGTERM");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("HttpServer serves and stores under exactly the printed grants", async () => {
  const dir = await Deno.makeTempDir({ prefix: "jmp-confined-http-" });
  try {
    const root = `${dir}/www`;
    await Deno.mkdir(root);
    await Deno.writeTextFile(`${root}/index.txt`, "served confined\n");
    const port = freeTcpPort();
    const config = `${dir}/http.yaml`;
    await Deno.writeTextFile(
      config,
      "apiVersion: jumpstarter.dev/v1alpha1\nkind: ExporterConfig\nexport:\n" +
        `  http:\n    type: HttpServer\n    config: { root_dir: ${root}, host: 127.0.0.1, port: ${port} }\n`,
    );
    const printed = await printedPermissions(config, ["--socket-dir", `${dir}/run`]);
    await using exporter = spawnUnderPrinted(config, printed);
    const env = { JUMPSTARTER_HOST: await exporter.firstLine, JMP_DRIVERS_ALLOW: "UNSAFE" };
    const j = async (args: string[]) => {
      const result = await jmp(["j", "http", ...args], { timeoutMs: TIMEOUT_MS, env });
      assert.equal(
        result.code,
        0,
        `j http ${args.join(" ")}: ${result.stderr}\nexporter: ${exporter.printed().stderr}`,
      );
      return result.stdout;
    };
    await j(["start"]);
    await Deno.writeTextFile(`${dir}/upload.txt`, "stored confined\n");
    await j(["put", `${dir}/upload.txt`]);
    for (
      const [name, text] of [["index.txt", "served confined\n"], [
        "upload.txt",
        "stored confined\n",
      ]]
    ) {
      const response = await fetch(`http://127.0.0.1:${port}/${name}`);
      assert.equal(await response.text(), text);
    }
    await exporter.stop("SIGTERM");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** A TCP port on 127.0.0.1 that was free a moment ago. */
function freeTcpPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}
