import assert from "node:assert/strict";
import { serve } from "@jumpstarter/lib/testing";
import {
  ConnectionError,
  DriverError,
  DriverTimeoutError,
  InvalidArgumentError,
} from "@jumpstarter/lib/wire";
import { powerCli, PowerClient, type PowerReading } from "@jumpstarter/driver-power";
import { HttpPower } from "./driver.ts";
import { FakePdu, freePort } from "./_testing/fake_pdu.ts";

const FORM = { "Content-Type": "application/x-www-form-urlencoded" };
const BASIC = { type: "basic", username: "admin", password: "s3cret!" } as const;
// base64("admin:s3cret!"), written out so the test does not share the driver's encoding.
const BASIC_HEADER = "Basic YWRtaW46czNjcmV0IQ==";

async function readAll(client: PowerClient): Promise<PowerReading[]> {
  const readings: PowerReading[] = [];
  for await (const reading of client.read()) readings.push(reading);
  return readings;
}

function formPdu(pdu: FakePdu) {
  return {
    on: { url: `${pdu.url}/outlets/3/power`, body: "state=on", headers: FORM },
    off: { url: `${pdu.url}/outlets/3/power`, body: "state=off", headers: FORM },
  };
}

Deno.test("HttpPower with basic auth switches, reads and cycles through PowerClient", async () => {
  await using pdu = new FakePdu(BASIC_HEADER);
  const driver = new HttpPower({
    ...formPdu(pdu),
    read: {
      url: `${pdu.url}/outlets/3`,
      parse: { voltage: "meter.voltage", current: "meter.current" },
    },
    auth: BASIC,
  });
  await using served = await serve(driver, PowerClient);

  await served.client.on();
  assert.equal(pdu.state, "on");
  assert.deepEqual(await readAll(served.client), [{ voltage: 230.1, current: 0.42 }]);
  await served.client.off();
  assert.equal(pdu.state, "off");
  assert.deepEqual(await readAll(served.client), [{ voltage: 230.1, current: 0 }]);
  await served.client.cycle({ wait: 0.01 });
  assert.equal(pdu.state, "on");

  const form = "application/x-www-form-urlencoded";
  const post = (body: string) => ({
    method: "POST",
    path: "/outlets/3/power",
    authorization: BASIC_HEADER,
    contentType: form,
    body,
  });
  const get = {
    method: "GET",
    path: "/outlets/3",
    authorization: BASIC_HEADER,
    contentType: null,
    body: "",
  };
  assert.deepEqual(pdu.requests, [
    post("state=on"),
    get,
    post("state=off"),
    get,
    post("state=off"),
    post("state=on"),
  ]);
});

Deno.test("HttpPower with bearer auth sends PUT JSON and parses a text reading via j", async () => {
  const token = "tok-123.abc";
  await using pdu = new FakePdu(`Bearer ${token}`);
  const json = { "Content-Type": "application/json" };
  const driver = new HttpPower({
    on: { method: "put", url: `${pdu.url}/api/outlets/3`, body: '{"power":"on"}', headers: json },
    off: {
      method: "PUT",
      url: `${pdu.url}/api/outlets/3`,
      body: '{"power":"off"}',
      headers: json,
      "expect_status": 204,
    },
    read: {
      url: `${pdu.url}/status`,
      parse: { format: "text", voltage: "V=([0-9.]+)", current: "I=([0-9.]+)" },
    },
    auth: { type: "bearer", token },
  });
  await using served = await serve(driver, PowerClient);
  const program = powerCli(served.client, "power");
  const printed: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => printed.push(args.join(" "));
  try {
    await program.parseAsync(["on"], { from: "user" });
    assert.equal(pdu.state, "on");
    await program.parseAsync(["read"], { from: "user" });
    await program.parseAsync(["off"], { from: "user" });
    assert.equal(pdu.state, "off");
  } finally {
    console.log = log;
  }
  assert.deepEqual(printed, [
    `voltage=230.1 V  current=0.42 A  apparent_power=${230.1 * 0.42} VA`,
  ]);

  const put = (body: string) => ({
    method: "PUT",
    path: "/api/outlets/3",
    authorization: `Bearer ${token}`,
    contentType: "application/json",
    body,
  });
  assert.deepEqual(pdu.requests, [
    put('{"power":"on"}'),
    {
      method: "GET",
      path: "/status",
      authorization: `Bearer ${token}`,
      contentType: null,
      body: "",
    },
    put('{"power":"off"}'),
  ]);
});

Deno.test("HttpPower reports an unexpected status with method, URL and status, never the password", async () => {
  await using pdu = new FakePdu(BASIC_HEADER);
  const password = "wrong-Pa55";
  const driver = new HttpPower({
    ...formPdu(pdu),
    read: {
      url: `${pdu.url}/outlets/3?api_key=k3y`,
      parse: { voltage: 230, current: "meter.current" },
    },
    auth: { type: "basic", username: "admin", password },
  });
  await using served = await serve(driver, PowerClient);

  const error = await served.client.on().then(() => undefined, (e: unknown) => e);
  assert.ok(error instanceof DriverError, `got ${error}`);
  assert.match(
    error.message,
    /^Cannot power on: POST http:\/\/127\.0\.0\.1:\d+\/outlets\/3\/power answered 401 Unauthorized \(expected 2xx\)$/,
  );
  assert.ok(!error.message.includes(password));
  assert.ok(!error.message.includes("YWRtaW46d3JvbmctUGE1NQ")); // base64("admin:wrong-Pa55")
  assert.equal(pdu.requests[0]?.authorization, "Basic YWRtaW46d3JvbmctUGE1NQ==");
  assert.equal(pdu.state, "off");

  pdu.failWith = 503;
  await assert.rejects(readAll(served.client), (e: unknown) => {
    assert.ok(e instanceof DriverError);
    assert.match(e.message, /GET http:\/\/127\.0\.0\.1:\d+\/outlets\/3\?… answered 503/);
    assert.ok(!e.message.includes("k3y"), "the query string is not shown");
    return true;
  });
});

Deno.test("HttpPower checks expect_status and sends text/plain when no content type is set", async () => {
  await using pdu = new FakePdu(BASIC_HEADER);
  const driver = new HttpPower({
    on: { url: `${pdu.url}/outlets/3/power`, body: "state=on", "expect_status": [204, 202] },
    off: {
      url: `${pdu.url}/outlets/3/power`,
      body: "state=off",
      headers: FORM,
      "expect_status": 204,
    },
    auth: BASIC,
  });
  await using served = await serve(driver, PowerClient);

  await assert.rejects(served.client.on(), {
    name: "DriverError",
    message: new RegExp(
      `^Cannot power on: POST ${pdu.url}/outlets/3/power answered 400 ` +
        `Bad Request \\(expected 204 or 202\\)$`,
    ),
  });
  assert.equal(pdu.requests[0]?.contentType, "text/plain;charset=UTF-8");
  await assert.rejects(served.client.off(), /answered 200 OK \(expected 204\)$/);
  assert.equal(pdu.state, "off", "the request went through even though the status was refused");
  assert.equal(pdu.requests.length, 2);
});

Deno.test("HttpPower maps a refused connection to ConnectionError and keeps serving", async () => {
  await using pdu = new FakePdu(BASIC_HEADER);
  const port = freePort();
  const driver = new HttpPower({
    on: { url: `http://127.0.0.1:${port}/outlets/3/power`, body: "state=on", headers: FORM },
    off: formPdu(pdu).off,
    auth: BASIC,
  });
  await using served = await serve(driver, PowerClient);

  for (let attempt = 0; attempt < 2; attempt++) {
    await assert.rejects(served.client.on(), (e: unknown) => {
      assert.ok(e instanceof ConnectionError, `got ${e}`);
      assert.match(
        e.message,
        new RegExp(
          `^Cannot power on: POST http://127\\.0\\.0\\.1:${port}/outlets/3/power ` +
            `failed: .*Connection refused`,
        ),
      );
      return true;
    });
  }
  await served.client.off();
  assert.deepEqual(pdu.requests.map((r) => r.body), ["state=off"]);
});

Deno.test("HttpPower gives up on a slow server with DriverTimeoutError", async () => {
  await using pdu = new FakePdu(BASIC_HEADER);
  const driver = new HttpPower({ ...formPdu(pdu), auth: BASIC, timeout: 0.2 });
  await using served = await serve(driver, PowerClient);

  pdu.hold();
  const started = performance.now();
  await assert.rejects(served.client.on(), (e: unknown) => {
    assert.ok(e instanceof DriverTimeoutError, `got ${e}`);
    assert.match(
      e.message,
      /^Cannot power on: POST http:\/\/.*\/outlets\/3\/power did not answer within 0\.2 s$/,
    );
    return true;
  });
  const elapsed = performance.now() - started;
  assert.ok(elapsed >= 190 && elapsed < 5000, `gave up after ${elapsed} ms`);
  assert.equal(pdu.requests.length, 1, "the request reached the server");
  pdu.release();
  await served.client.off();
  assert.equal(pdu.state, "off");
});

Deno.test("HttpPower without a read request answers read with INVALID_ARGUMENT, as upstream", async () => {
  await using pdu = new FakePdu(BASIC_HEADER);
  await using served = await serve(new HttpPower({ ...formPdu(pdu), auth: BASIC }), PowerClient);
  await assert.rejects(readAll(served.client), (e: unknown) => {
    assert.ok(e instanceof InvalidArgumentError, `got ${e}`);
    assert.match(e.message, /no read request is configured/);
    return true;
  });
  assert.equal(pdu.requests.length, 0);
});

Deno.test("HttpPower names the missing or non-numeric field of a read answer", async () => {
  await using pdu = new FakePdu(BASIC_HEADER);
  const reader = (current: string) =>
    new HttpPower({
      ...formPdu(pdu),
      read: { url: `${pdu.url}/outlets/3`, parse: { voltage: "meter.voltage", current } },
      auth: BASIC,
    });
  {
    await using served = await serve(reader("meter.power"), PowerClient);
    await assert.rejects(readAll(served.client), {
      name: "DriverError",
      message: 'Cannot read power: the answer has no "meter.power" for current',
    });
  }
  {
    await using served = await serve(reader("name"), PowerClient);
    await assert.rejects(readAll(served.client), {
      name: "DriverError",
      message: 'Cannot read power: "name" (current) is a string, not a number',
    });
  }
});
