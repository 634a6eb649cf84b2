/**
 * HttpPower in upstream's config form, against the REAL upstream (head and 0.7.0):
 * - the same YAML served by upstream's exporter and by ours makes the same HTTP requests to a
 *   real local HTTP server, driven by our client;
 * - upstream's `j` drives our HttpPower.
 */
import assert from "node:assert/strict";
import { parseExporterConfig } from "@jumpstarter/lib/config";
import { buildDriverTree } from "@jumpstarter/lib/exporter";
import { serve } from "@jumpstarter/lib/testing";
import type { DriverClient } from "@jumpstarter/lib/client";
import { PowerClient, type PowerReading } from "@jumpstarter/driver-power";
import { upstreamPeer, type UpstreamVersion } from "../../tests/upstream/_peer.ts";
import { serveWithUpstream } from "../../tests/upstream/_upstream_exporter.ts";
import { Code, type JumpstarterError } from "@jumpstarter/lib/wire";
import { driverPackage } from "./package.ts";
import { driverPackage as powerPackage } from "@jumpstarter/driver-power/package";
import { driverRegistryOf } from "@jumpstarter/lib/driver";
import { CompositeClient } from "@jumpstarter/lib/client";

const PACKAGES = [driverPackage, powerPackage];
const driverRegistry = driverRegistryOf(PACKAGES);

const AUTHORIZATION = `Basic ${btoa("admin:s3cret")}`;

interface Seen {
  method: string;
  path: string;
  authorization: string | null;
  contentType: string | null;
  body: string;
}

/** A smart plug's HTTP API: records every request; answers only with the right credentials. */
class Plug implements AsyncDisposable {
  readonly seen: Seen[] = [];
  readonly #server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request) => {
      const url = new URL(request.url);
      const authorization = request.headers.get("authorization");
      this.seen.push({
        method: request.method,
        path: `${url.pathname}${url.search}`,
        authorization,
        contentType: request.headers.get("content-type"),
        body: await request.text(),
      });
      if (authorization !== AUTHORIZATION) return new Response("no", { status: 401 });
      if (url.pathname === "/meter") {
        return Response.json({ emeter: { voltage: 230.5 }, current: 0.25 });
      }
      return new Response("ok");
    },
  );

  get url(): string {
    return `http://127.0.0.1:${this.#server.addr.port}`;
  }

  async [Symbol.asyncDispose]() {
    await this.#server.shutdown();
  }
}

/** `voltage_path` came after 0.7.0, which refuses it. */
function configFor(plug: Plug, version: UpstreamVersion): string {
  const paths = version === "head" ? ", voltage_path: emeter.voltage" : "";
  return `apiVersion: jumpstarter.dev/v1alpha1
kind: ExporterConfig
metadata: { namespace: default, name: plug-lab }
endpoint: ""
token: ""
export:
  power:
    type: jumpstarter_driver_http_power.driver.HttpPower
    config:
      name: lab-plug
      power_on: { url: "${plug.url}/relay/0?turn=on", method: post, data: "turn=on" }
      power_off: { url: "${plug.url}/relay/0?turn=off", data: "ignored on GET" }
      power_read: { url: "${plug.url}/meter"${paths} }
      auth: { basic: { user: admin, password: s3cret } }
`;
}

const EXPECTED_SWITCHING: Seen[] = [
  {
    method: "POST",
    path: "/relay/0?turn=on",
    authorization: AUTHORIZATION,
    contentType: null,
    body: "turn=on",
  },
  {
    method: "GET",
    path: "/relay/0?turn=off",
    authorization: AUTHORIZATION,
    contentType: null,
    body: "",
  },
];

async function drive(root: DriverClient, withRead: boolean): Promise<PowerReading[]> {
  const power = root.child("power", PowerClient);
  await power.on();
  await power.off();
  return withRead ? await Array.fromAsync(power.read()) : [];
}

for (const version of ["head", "0.7.0"] as UpstreamVersion[]) {
  // 0.7.0's read answers a fixed dummy reading without asking the device
  const withRead = version === "head";

  Deno.test(`HttpPower: one upstream-form YAML, same requests from upstream ${version}'s exporter and ours`, async () => {
    const peer = upstreamPeer(version);
    await using plug = new Plug();
    const yaml = configFor(plug, version);
    let theirReadings: PowerReading[];
    {
      await using upstream = await serveWithUpstream(peer, yaml, PACKAGES);
      theirReadings = await drive(upstream.handle.root, withRead);
    }
    const theirs = plug.seen.splice(0);
    const root = await buildDriverTree(parseExporterConfig(yaml, "plug-lab.yaml"), {
      registry: driverRegistry,
    });
    await using served = await serve(root, CompositeClient, { packages: PACKAGES });
    const ourReadings = await drive(served.client, withRead);
    assert.deepEqual(plug.seen, theirs);
    assert.deepEqual(theirs.slice(0, 2), EXPECTED_SWITCHING);
    assert.deepEqual(ourReadings, theirReadings);
    if (withRead) assert.deepEqual(ourReadings, [{ voltage: 230.5, current: 0.25 }]);
  });

  Deno.test(`HttpPower: upstream ${version}'s j drives ours`, async () => {
    const peer = upstreamPeer(version);
    await using plug = new Plug();
    const root = await buildDriverTree(
      parseExporterConfig(configFor(plug, version), "plug-lab.yaml"),
      { registry: driverRegistry },
    );
    await using served = await serve(root, CompositeClient, { packages: PACKAGES });
    const j = async (...args: string[]) => {
      const { code, stdout, stderr } = await new Deno.Command(peer.j, {
        args,
        env: { ...peer.env, JUMPSTARTER_HOST: served.address, JMP_DRIVERS_ALLOW: "UNSAFE" },
        stdin: "null",
        signal: AbortSignal.timeout(30_000),
      }).output();
      const out = new TextDecoder().decode(stdout);
      assert.equal(
        code,
        0,
        `j ${args.join(" ")} exited ${code}: ${new TextDecoder().decode(stderr)}`,
      );
      return out;
    };
    await j("power", "on");
    await j("power", "off");
    assert.deepEqual(plug.seen, EXPECTED_SWITCHING);
    if (version === "head") {
      const out = await j("power", "read", "-n", "2", "-i", "0");
      assert.equal(
        out,
        "voltage=230.5 V  current=0.25 A  apparent_power=57.625 VA\n".repeat(2),
      );
      assert.equal(plug.seen.filter((request) => request.path === "/meter").length, 2);
    }
  });
}

Deno.test("HttpPower: read without power_read fails with upstream head's status", async () => {
  const peer = upstreamPeer("head");
  await using plug = new Plug();
  const yaml = configFor(plug, "head").replace(/^ {6}power_read: .*\n/m, "");
  assert.doesNotMatch(yaml, /power_read/);
  const codeOf = async (root: DriverClient) => {
    try {
      await Array.fromAsync(root.child("power", PowerClient).read());
    } catch (error) {
      return (error as JumpstarterError).code;
    }
    assert.fail("read succeeded without power_read");
  };
  let theirs: number;
  {
    await using upstream = await serveWithUpstream(peer, yaml, PACKAGES);
    theirs = await codeOf(upstream.handle.root);
  }
  const root = await buildDriverTree(parseExporterConfig(yaml, "plug-lab.yaml"), {
    registry: driverRegistry,
  });
  await using served = await serve(root, CompositeClient, { packages: PACKAGES });
  assert.equal(await codeOf(served.client), theirs);
  assert.equal(theirs, Code.INVALID_ARGUMENT);
});
