import assert from "node:assert/strict";
import { dirname } from "node:path";
import { serve } from "@jumpstarter/lib/testing";
import { driverRegistryOf } from "@jumpstarter/lib/driver";
import { DriverError, InvalidArgumentError } from "@jumpstarter/lib/wire";
import {
  MockStorageMux,
  MockStorageMuxFlasher,
  mockStorageMuxFlasherType,
  mockStorageMuxType,
} from "./driver.ts";
import { StorageMuxClient, StorageMuxFlasherClient } from "./storage_mux_client.ts";
import { partialFiles, tempDir } from "./_testing/fs.ts";
import { driverPackage } from "./package.ts";

const driverRegistry = driverRegistryOf([driverPackage]);

function bytes(...values: number[]): ReadableStream<Uint8Array> {
  return ReadableStream.from([new Uint8Array(values)]);
}

Deno.test("MockStorageMux types load under upstream class paths and report upstream clients", async () => {
  assert.equal(
    driverRegistry.get("jumpstarter_driver_opendal.driver.MockStorageMux"),
    mockStorageMuxType,
  );
  assert.equal(
    driverRegistry.get("jumpstarter_driver_opendal.driver.MockStorageMuxFlasher"),
    mockStorageMuxFlasherType,
  );
  await using dir = await tempDir();
  await using mux = await serve(new MockStorageMux({ path: dir.join("a") }), StorageMuxClient);
  assert.equal(mux.client.clientClass, "jumpstarter_driver_opendal.client.StorageMuxClient");
  assert.ok(!(mux.client instanceof StorageMuxFlasherClient));
  await using flasher = await serve(
    new MockStorageMuxFlasher({ path: dir.join("b") }),
    StorageMuxFlasherClient,
  );
  assert.equal(
    flasher.client.clientClass,
    "jumpstarter_driver_opendal.client.StorageMuxFlasherClient",
  );
});

Deno.test("MockStorageMux config rejects bad values with clear messages", () => {
  const parse = (config: unknown) => mockStorageMuxType.config.safeParse(config);
  assert.ok(parse({}).success);
  assert.ok(parse({ path: "/tmp/x.img", size: 1024 }).success);
  assert.match(JSON.stringify(parse({ size: -5 }).error?.issues), /size must be a positive/);
  assert.match(JSON.stringify(parse({ size: 1.5 }).error?.issues), /int/i);
  assert.match(JSON.stringify(parse({ path: "" }).error?.issues), /path must not be empty/);
  assert.match(JSON.stringify(parse({ file: "x" }).error?.issues), /file/);
});

Deno.test("host(), dut() and off() switch the state and log it; a session starts off", async () => {
  await using dir = await tempDir();
  const driver = new MockStorageMux({ path: dir.join("sd.img") });
  await using served = await serve(driver, StorageMuxClient);
  const logs = served.session.logs.subscribe();
  assert.equal(driver.state, "off");
  await served.client.host();
  assert.equal(driver.state, "host");
  await served.client.dut();
  assert.equal(driver.state, "dut");
  await served.client.off();
  assert.equal(driver.state, "off");
  const messages: string[] = [];
  for await (const record of logs) {
    messages.push(record.message);
    if (messages.length === 3) break;
  }
  logs.close();
  assert.deepEqual(messages, [
    "storage connected to host",
    "storage connected to dut",
    "storage disconnected",
  ]);
  await served.client.dut();
  driver.reset();
  assert.equal(driver.state, "off");
});

Deno.test("write() is accepted while the storage is off (upstream clients do not switch first)", async () => {
  await using dir = await tempDir();
  const target = dir.join("sd.img");
  await using served = await serve(new MockStorageMux({ path: target }), StorageMuxClient);
  const result = await served.client.write(bytes(1, 2, 3), { encoding: null });
  assert.deepEqual(result, {
    size: 3,
    sha256: "039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81",
  });
  assert.deepEqual(await Deno.readFile(target), new Uint8Array([1, 2, 3]));
});

Deno.test("with size set, a larger image is refused and a smaller one is padded to the size", async () => {
  await using dir = await tempDir();
  const target = dir.join("sd.img");
  await using served = await serve(
    new MockStorageMux({ path: target, size: 4096 }),
    StorageMuxClient,
  );
  // reading a fresh medium gives `size` zero bytes
  const fresh = dir.join("fresh.img");
  await served.client.readLocalFile(fresh);
  assert.deepEqual(await Deno.readFile(fresh), new Uint8Array(4096));

  await assert.rejects(
    served.client.write(ReadableStream.from([new Uint8Array(4097)]), { encoding: null }),
    (error: Error) =>
      error instanceof InvalidArgumentError &&
      /larger than the 4096-byte storage/.test(error.message),
  );
  assert.deepEqual(await Deno.readFile(target), new Uint8Array(4096));

  const result = await served.client.write(bytes(5, 6, 7), { encoding: null, verify: true });
  assert.equal(result?.size, 3);
  const content = await Deno.readFile(target);
  assert.equal(content.byteLength, 4096);
  assert.deepEqual(content.subarray(0, 4), new Uint8Array([5, 6, 7, 0]));
  assert.deepEqual(await partialFiles(dir.path), []);
});

Deno.test("a second write while one is running is refused; the first completes", async () => {
  await using dir = await tempDir();
  const target = dir.join("sd.img");
  await using served = await serve(new MockStorageMux({ path: target }), StorageMuxClient);
  const logs = served.session.logs.subscribe();
  let push!: ReadableStreamDefaultController<Uint8Array>;
  const slow = new ReadableStream<Uint8Array>({ start: (c) => void (push = c) });
  push.enqueue(new Uint8Array([1]));
  const first = served.client.write(slow, { encoding: null });
  for await (const record of logs) if (record.message.startsWith("writing image")) break;
  logs.close();
  await assert.rejects(
    served.client.write(bytes(2), { encoding: null }),
    (error: Error) =>
      error instanceof DriverError && /another write is in progress/.test(error.message),
  );
  push.enqueue(new Uint8Array([3]));
  push.close();
  assert.equal((await first)?.size, 2);
  assert.deepEqual(await Deno.readFile(target), new Uint8Array([1, 3]));
});

Deno.test("without a path, the medium is a temporary file removed when the session ends", async () => {
  const driver = new MockStorageMux();
  {
    await using served = await serve(driver, StorageMuxClient);
    await served.client.write(bytes(4, 2), { encoding: null });
    assert.deepEqual(await Deno.readFile(driver.path), new Uint8Array([4, 2]));
  }
  await assert.rejects(Deno.stat(dirname(driver.path)), Deno.errors.NotFound);
});

Deno.test("a path whose directory vanished after load gives a clear error, and the exporter keeps serving", async () => {
  await using dir = await tempDir();
  await Deno.mkdir(dir.join("missing"));
  const driver = new MockStorageMux({ path: dir.join("missing", "sd.img") });
  await Deno.remove(dir.join("missing"));
  await using served = await serve(driver, StorageMuxClient);
  await assert.rejects(
    served.client.write(bytes(1), { encoding: null }),
    /Cannot create storage file .*missing\/sd\.img: directory .*missing does not exist/,
  );
  await served.client.host();
  assert.equal(driver.state, "host");
});
