import assert from "node:assert/strict";
import { serve } from "@jumpstarter/lib/testing";
import {
  ConnectionError,
  DriverError,
  DriverTimeoutError,
  MethodNotImplementedError,
} from "@jumpstarter/lib/wire";
import { PowerClient } from "@jumpstarter/driver-power";
import { EnerGenie } from "./driver.ts";
import { EnerGenieEmulator } from "./_testing/energenie_emulator.ts";

const FORM = "application/x-www-form-urlencoded";

function post(path: string, body: string) {
  return { method: "POST", path, contentType: FORM, body };
}

Deno.test("EnerGenie logs in and switches slot 3 on each call, in order", async () => {
  await using device = new EnerGenieEmulator("p w&=1");
  const driver = new EnerGenie({ host: device.host, password: "p w&=1", slot: 3 });
  await using served = await serve(driver, PowerClient);

  await served.client.on();
  assert.deepEqual(device.sockets, [0, 0, 1, 0]);
  await served.client.off();
  assert.deepEqual(device.sockets, [0, 0, 0, 0]);
  await served.client.cycle({ wait: 0.01 });
  assert.deepEqual(device.sockets, [0, 0, 1, 0]);

  assert.deepEqual(device.events, [
    "login",
    "cte3=1",
    "login",
    "cte3=0",
    "login",
    "cte3=0",
    "login",
    "cte3=1",
  ]);
  const login = post("/login.html", "pw=p+w%26%3D1");
  assert.deepEqual(device.requests, [
    login,
    post("/", "cte3=1"),
    login,
    post("/", "cte3=0"),
    login,
    post("/", "cte3=0"),
    login,
    post("/", "cte3=1"),
  ]);
});

Deno.test("EnerGenie defaults to password 1 and slot 1, as upstream's test expects", async () => {
  await using device = new EnerGenieEmulator("1");
  await using served = await serve(new EnerGenie({ host: device.host }), PowerClient);
  await served.client.on();
  await served.client.off();
  assert.deepEqual(device.requests.map((r) => `${r.path} ${r.body}`), [
    "/login.html pw=1",
    "/ cte1=1",
    "/login.html pw=1",
    "/ cte1=0",
  ]);
});

/** Requests from 127.0.0.2: another host, as far as the emulator's per-IP login goes. */
async function fromOtherHost(device: EnerGenieEmulator, path: string, body: string) {
  using client = Deno.createHttpClient({ localAddress: "127.0.0.2" });
  const answer = await fetch(`http://${device.host}${path}`, {
    client,
    method: "POST",
    headers: { "Content-Type": FORM },
    body,
  });
  return { status: answer.status, body: await answer.text() };
}

Deno.test("The emulator ignores a command from a host that has not logged in", async () => {
  await using device = new EnerGenieEmulator("1");
  const answer = await fromOtherHost(device, "/", "cte2=1");
  assert.equal(answer.status, 200);
  assert.match(answer.body, /name="pw"/);
  assert.deepEqual(device.sockets, [0, 0, 0, 0]);
  assert.deepEqual(device.events, ["cte2=1 refused"]);
});

Deno.test("EnerGenie reports a wrong password clearly and does not send the command", async () => {
  await using device = new EnerGenieEmulator("right");
  const password = "wr0ng-pass";
  const driver = new EnerGenie({ host: device.host, password, slot: 2 });
  await using served = await serve(driver, PowerClient);

  await assert.rejects(served.client.on(), (e: unknown) => {
    assert.ok(e instanceof DriverError, `got ${e}`);
    assert.equal(
      e.message,
      `Cannot switch EnerGenie ${device.host} slot 2 on: login was refused (wrong password, ` +
        "or another host is logged in): the device answered with its login page",
    );
    assert.ok(!e.message.includes(password));
    return true;
  });
  assert.deepEqual(device.events, ["login refused"]);
  assert.deepEqual(device.requests, [post("/login.html", `pw=${password}`)]);
  assert.deepEqual(device.sockets, [0, 0, 0, 0]);
});

Deno.test("EnerGenie cannot log in while another host holds the session", async () => {
  await using device = new EnerGenieEmulator("1");
  assert.match((await fromOtherHost(device, "/login.html", "pw=1")).body, /Log Out/);
  await using served = await serve(new EnerGenie({ host: device.host }), PowerClient);
  await assert.rejects(served.client.on(), /slot 1 on: login was refused/);
  assert.deepEqual(device.events, ["login", "login refused"]);
  assert.deepEqual(device.sockets, [0, 0, 0, 0]);
});

Deno.test("EnerGenie reports a command the device answers with its login page", async () => {
  await using device = new EnerGenieEmulator("1");
  device.onEvent = (event) => {
    if (event === "login") device.expireSession();
  };
  await using served = await serve(new EnerGenie({ host: device.host, slot: 4 }), PowerClient);
  await assert.rejects(served.client.on(), {
    name: "DriverError",
    message: `Cannot switch EnerGenie ${device.host} slot 4 on: the device answered the ` +
      "command with its login page (the login did not hold: the session may have timed out)",
  });
  assert.deepEqual(device.events, ["login", "cte4=1 refused"]);
  assert.deepEqual(device.sockets, [0, 0, 0, 0]);
});

Deno.test("EnerGenie surfaces HTTP errors, refused connections and timeouts; exporter keeps serving", async () => {
  await using device = new EnerGenieEmulator("1");
  const driver = new EnerGenie({ host: device.host, slot: 1 }, { timeout: 0.2 });
  await using served = await serve(driver, PowerClient);

  device.failWith = 503;
  await assert.rejects(served.client.off(), {
    name: "DriverError",
    message: `Cannot switch EnerGenie ${device.host} slot 1 off: login answered ` +
      "503 Service Unavailable (expected 200)",
  });
  device.failWith = undefined;

  device.hold();
  const started = performance.now();
  await assert.rejects(served.client.on(), (e: unknown) => {
    assert.ok(e instanceof DriverTimeoutError, `got ${e}`);
    assert.equal(
      e.message,
      `Cannot switch EnerGenie ${device.host} slot 1 on: POST http://${device.host}/login.html ` +
        "did not answer within 0.2 s",
    );
    return true;
  });
  assert.ok(performance.now() - started < 5000);
  device.release();

  await served.client.on();
  assert.deepEqual(device.sockets, [1, 0, 0, 0]);

  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const closed = `127.0.0.1:${listener.addr.port}`;
  listener.close();
  await using down = await serve(new EnerGenie({ host: closed }), PowerClient);
  await assert.rejects(down.client.on(), (e: unknown) => {
    assert.ok(e instanceof ConnectionError, `got ${e}`);
    assert.match(
      e.message,
      new RegExp(
        `^Cannot switch EnerGenie ${closed} slot 1 on: POST http://${closed}/login.html ` +
          "failed: .*Connection refused",
      ),
    );
    return true;
  });
  await served.client.off();
  assert.deepEqual(device.sockets, [0, 0, 0, 0]);
});

Deno.test("EnerGenie read answers UNIMPLEMENTED", async () => {
  await using device = new EnerGenieEmulator("1");
  await using served = await serve(new EnerGenie({ host: device.host }), PowerClient);
  await assert.rejects(
    async () => {
      for await (const _ of served.client.read()) assert.fail("read yielded a reading");
    },
    (e: unknown) => {
      assert.ok(e instanceof MethodNotImplementedError, `got ${e}`);
      assert.match(e.message, /EnerGenie does not support read/);
      return true;
    },
  );
  assert.equal(device.requests.length, 0);
});
