import assert from "node:assert/strict";
import { AuthFailureThrottle, peerHost } from "./auth_throttle.ts";

Deno.test("AuthFailureThrottle spaces refusals per source, however many come at once", () => {
  const logged: string[] = [];
  const throttle = new AuthFailureThrottle({
    spacingMs: 100,
    log: (message) => logged.push(message),
  });
  const delays = [0, 1, 2, 3, 4].map(() => throttle.delayFor("10.0.0.1"));
  // 0, 100, 200, 300, 400 (less the microseconds spent in between)
  delays.forEach((delay, index) =>
    assert.ok(delay > index * 100 - 5 && delay <= index * 100, `refusal ${index}: ${delays}`)
  );
  // another source has its own pace
  assert.ok(throttle.delayFor("10.0.0.2") < 5);
  assert.deepEqual(logged, []);
});

Deno.test("AuthFailureThrottle.refuse() logs the source and reason", async () => {
  const logged: string[] = [];
  const throttle = new AuthFailureThrottle({ log: (message) => logged.push(message) });
  await throttle.refuse("192.0.2.7", "wrong passphrase");
  assert.deepEqual(logged, ["Authentication failed from 192.0.2.7: wrong passphrase"]);
});

Deno.test("peerHost() drops the port and the address family of gRPC peers", () => {
  assert.equal(peerHost("ipv4:192.0.2.7:51234"), "192.0.2.7");
  assert.equal(peerHost("192.0.2.7:51234"), "192.0.2.7");
  assert.equal(peerHost("ipv6:[2001:db8::1]:443"), "2001:db8::1");
  assert.equal(peerHost("[::1]:5"), "::1");
  assert.equal(peerHost("unknown"), "unknown");
});
