/**
 * The corpus of upstream's own exporter configs (`testdata/upstream_configs/`: its driver READMEs,
 * documentation and e2e suite at b1f2bb41, each file naming its source) loads unchanged with our
 * loader, and those whose devices exist here are served and answer GetReport. Files that cannot
 * load or serve here are listed below with the reason, and asserted to still fail that way so the
 * lists stay true.
 *
 * Files under `instances/` are single driver entries (upstream's docs include them into an
 * `export:` map): each is loaded as `export.<file name>`, or as the whole `export:` map when it is
 * a bare `children:` tree.
 */
import assert from "node:assert/strict";
import { parseExporterConfig } from "@jumpstarter/lib/config";
import { buildDriverTree } from "@jumpstarter/lib/exporter";
import { serve } from "@jumpstarter/lib/testing";
import { driverRegistry as registry } from "../cli/driver_packages.ts";

const CORPUS = new URL("./testdata/upstream_configs/", import.meta.url);

/** Missing drivers and upstream's own mistakes: the file must keep failing with this error. */
const KNOWN_GAPS: Record<string, { reason: string; error: RegExp }> = {
  "driver-can-1.yaml": {
    reason:
      "upstream's README names jumpstarter_driver_can.Can, which its package does not export " +
      "(upstream cannot load it either; the class is jumpstarter_driver_can.driver.Can)",
    error: /Unknown driver type "jumpstarter_driver_can\.Can"/,
  },
  "driver-can-2.yaml": {
    reason:
      "upstream's README names jumpstarter_driver_can.IsoTpPython, which its package does not export " +
      "(upstream cannot load it either; the class is jumpstarter_driver_can.driver.IsoTpPython)",
    error: /Unknown driver type "jumpstarter_driver_can\.IsoTpPython"/,
  },
  "driver-can-3.yaml": {
    reason:
      "upstream's README names jumpstarter_driver_can.IsoTpSocket, which its package does not export " +
      "(upstream cannot load it either; the class is jumpstarter_driver_can.driver.IsoTpSocket)",
    error: /Unknown driver type "jumpstarter_driver_can\.IsoTpSocket"/,
  },
  "docs-files.yaml": {
    reason: "upstream's docs name jumpstarter_driver_power.driver.PduPower, which upstream has not",
    error: /Unknown driver type "jumpstarter_driver_power\.driver\.PduPower"/,
  },
  "driver-tasmota.yaml": {
    reason: "upstream's README leaves out host, which upstream's TasmotaPower requires too",
    error:
      /^driver-tasmota\.yaml:4:5: .*expected string, received undefined at export\.power\.config\.host$/,
  },
  "e2e-dut-network.yaml": {
    reason: "DutNetwork (host networking for a DUT) is in no issue",
    error: /Unknown driver type "jumpstarter_driver_dut_network\.driver\.DutNetwork"/,
  },
  "instances/dbus.yaml": {
    reason: "DbusNetwork is in no issue",
    error: /Unknown driver type "jumpstarter_driver_network\.driver\.DbusNetwork"/,
  },
};

/** Configs that load but need a device this machine has not: serving must fail naming it. */
const NEEDS_DEVICE: Record<string, RegExp> = {
  "driver-corellium.yaml": /Missing "CORELLIUM_API_HOST" environment variable/,
  "docs-drivers.yaml": /Cannot open serial port \/dev\/ttyUSB0: No such file/,
  "docs-exporters.yaml": /Cannot open serial port \/dev\/ttyUSB0: No such file/,
  "driver-gpiod-1.yaml": /Cannot open GPIO chip \/dev\/gpiochip0: No such file/,
  "driver-gpiod-2.yaml": /Cannot open GPIO chip \/dev\/gpiochip0: No such file/,
  "driver-gpiod-3.yaml": /Cannot open GPIO chip \/dev\/gpiochip0: No such file/,
  "driver-pyserial-1.yaml": /Cannot open serial port \/dev\/ttyUSB0: No such file/,
  "driver-pyserial-2.yaml": /Cannot open serial port \/dev\/ttyUSB0: No such file/,
};

/** Warnings some files must give: keys upstream accepts that mean nothing here. */
const EXPECTED_WARNINGS: Record<string, RegExp[]> = {
  "driver-http.yaml": [/^driver-http\.yaml:10:7: Ignoring "remove_created_on_close"/],
  "driver-tftp.yaml": [/^driver-tftp\.yaml:9:7: Ignoring "remove_created_on_close"/],
};

interface CorpusFile {
  name: string;
  /** The text our loader reads: the file itself, or an instance placed under `export:`. */
  text: string;
}

function asExport(name: string, text: string): string {
  const lines = text.split("\n");
  const body = lines.filter((line) => !line.startsWith("#"));
  const comments = lines.filter((line) => line.startsWith("#"));
  if (body[0] === "children:") return [...comments, "export:", ...body.slice(1)].join("\n");
  const stem = name.slice("instances/".length, -".yaml".length);
  return [...comments, "export:", `  ${stem}:`, ...body.map((line) => `    ${line}`)].join("\n");
}

function corpus(): CorpusFile[] {
  const files: CorpusFile[] = [];
  for (const folder of ["", "instances/"]) {
    const names = [...Deno.readDirSync(new URL(folder, CORPUS))]
      .filter((entry) => entry.isFile && entry.name.endsWith(".yaml"))
      .map((entry) => `${folder}${entry.name}`)
      .sort();
    for (const name of names) {
      const text = Deno.readTextFileSync(new URL(name, CORPUS));
      files.push({ name, text: folder === "" ? text : asExport(name, text) });
    }
  }
  return files;
}

async function serveCorpusFile(file: CorpusFile, warnings: string[]) {
  const config = parseExporterConfig(file.text, file.name);
  const root = await buildDriverTree(config, {
    registry,
    warn: (message) => warnings.push(message),
  });
  return { config, served: await serve(root) };
}

async function failure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as Error).message;
  }
  return "";
}

Deno.test("the corpus names its upstream source in every file and covers our drivers", () => {
  const files = corpus();
  assert.ok(files.length >= 50, `only ${files.length} corpus files`);
  for (const file of files) {
    assert.match(
      file.text,
      /^# Upstream source: jumpstarter-dev\/jumpstarter .+ @ b1f2bb41aac09cda79a2afa4b2f4fe07f3c6b0ea\n/,
      `${file.name} does not name its source`,
    );
  }
  const everything = files.map((file) => file.text).join("\n");
  for (
    const type of [
      "composite.driver.Composite",
      "power.driver.MockPower",
      "network.driver.TcpNetwork",
      "pyserial.driver.PySerial",
      "shell.driver.Shell",
      "http_power.driver.HttpPower",
      "energenie.driver.EnerGenie",
      "tasmota.driver.TasmotaPower",
      "snmp.driver.SNMPServer",
      "qemu.driver.Qemu",
      "uboot.driver.UbootConsole",
      "opendal.driver.MockStorageMux",
      "opendal.driver.Opendal",
      "http.driver.HttpServer",
      "tftp.driver.Tftp",
      "gpiod.driver.DigitalOutput",
      "probe_rs.driver.ProbeRs",
      "yepkit.driver.Ykush",
      "sdwire.driver.SDWire",
      "ustreamer.driver.UStreamer",
      "video.driver.HttpVideo",
      "corellium.driver.Corellium",
    ]
  ) {
    assert.ok(everything.includes(`jumpstarter_driver_${type}`), `no corpus file uses ${type}`);
  }
});

for (const file of corpus()) {
  const gap = KNOWN_GAPS[file.name];
  const device = NEEDS_DEVICE[file.name];
  if (gap !== undefined) {
    Deno.test(`upstream config ${file.name}: known gap (${gap.reason})`, async () => {
      const message = await failure(serveCorpusFile(file, []).then(({ served }) => served.close()));
      assert.match(message, gap.error, `expected it to fail (${gap.reason}); it said "${message}"`);
    });
  } else if (device !== undefined) {
    Deno.test(`upstream config ${file.name}: loads; serving needs its device`, async () => {
      const config = parseExporterConfig(file.text, file.name);
      assert.ok(config.export.size > 0);
      const message = await failure(
        buildDriverTree(config, { registry }).then((root) => root.close()),
      );
      assert.match(message, device, `expected the missing device to be named; got "${message}"`);
    });
  } else {
    Deno.test(`upstream config ${file.name}: loads unchanged and serves`, async () => {
      const warnings: string[] = [];
      const { config, served } = await serveCorpusFile(file, warnings);
      try {
        // proxies are attached after the drivers they name, so compare names, not order
        assert.deepEqual(
          [...served.client.children.keys()].sort(),
          [...config.export.keys()].sort(),
          "the report's top-level drivers differ from the config's",
        );
      } finally {
        await served.close();
      }
      const expected = EXPECTED_WARNINGS[file.name] ?? [];
      assert.equal(warnings.length, expected.length, `warnings: ${JSON.stringify(warnings)}`);
      expected.forEach((pattern, index) => assert.match(warnings[index]!, pattern));
    });
  }
}
