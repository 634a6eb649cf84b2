import assert from "node:assert/strict";
import { rankRouters, RouterPicker, tcpProbe } from "./router_pick.ts";

Deno.test("rankRouters(): one lease keeps its router, and leases spread over the routers", () => {
  const ids = ["r1", "r2", "r3"];
  const first = rankRouters("default/lease1", ids);
  assert.deepEqual(rankRouters("default/lease1", [...ids].reverse()), first, "order of ids");
  assert.deepEqual([...first].sort(), ids);
  // a router going away moves only the leases it had
  const without = rankRouters("default/lease1", ids.filter((id) => id !== first[0]));
  assert.deepEqual(without, first.slice(1));
  const chosen = new Set(
    Array.from({ length: 60 }, (_, i) => rankRouters(`default/lease${i}`, ids)[0]),
  );
  assert.equal(chosen.size, 3, `60 leases all went to ${[...chosen]}`);
});

Deno.test("RouterPicker: passes over a router that refuses connections, for a while", async () => {
  const routers = new Map([["r1", "a:1"], ["r2", "b:2"]]);
  const lease = "default/lease1";
  const [preferred, other] = rankRouters(lease, routers.keys()).map((id) => routers.get(id)!);
  const up = new Set([preferred!, other!]);
  const probed: string[] = [];
  let now = 0;
  const picker = new RouterPicker(() => routers, {
    probe: (endpoint) => {
      probed.push(endpoint);
      return Promise.resolve(up.has(endpoint));
    },
    now: () => now,
  });
  assert.equal(await picker.pick(lease), preferred);
  up.delete(preferred!); // killed; its key not yet expired
  assert.equal(await picker.pick(lease), other);
  probed.length = 0;
  assert.equal(await picker.pick(lease), other);
  assert.deepEqual(probed, [other], "the dead one is not probed again at once");
  now += 10_000;
  up.add(preferred!); // restarted
  assert.equal(await picker.pick(lease), preferred);
  up.clear();
  assert.equal(await picker.pick(lease), undefined, "none answers: the replica's own router");
  assert.equal(await new RouterPicker(() => new Map()).pick(lease), undefined);
});

Deno.test("tcpProbe(): true for a listening port, false once it is closed", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const endpoint = `127.0.0.1:${listener.addr.port}`;
  const accepted = (async () => {
    for await (const conn of listener) conn.close();
  })();
  assert.equal(await tcpProbe(endpoint), true);
  listener.close();
  await accepted;
  assert.equal(await tcpProbe(endpoint), false);
  assert.equal(await tcpProbe("not an endpoint"), false);
});
