import assert from "node:assert/strict";
import { claimSocketSlot } from "./confined_sockets.ts";
import { SOCKET_SLOTS, socketSlots } from "./confined_grants.ts";

Deno.test("socket slots: taken in order, all granted, refused when full, freed by removal", async () => {
  const parent = await Deno.makeTempDir({ prefix: "jmp-slots-" });
  try {
    const dir = `${parent}/sockets`;
    const claimed = [];
    for (let slot = 0; slot < SOCKET_SLOTS; slot++) claimed.push(await claimSocketSlot(dir));
    assert.deepEqual(
      claimed.map((claim) => claim.path),
      claimed.map((_, i) => `${dir}/${i}/socket`),
    );
    assert.equal((await Deno.stat(dir)).mode! & 0o777, 0o700);
    const granted = socketSlots(dir);
    for (const claim of claimed) {
      assert.ok(
        granted.includes(`unix:${claim.path}`) && granted.includes(`unix:${claim.path}.fast`),
      );
    }
    await assert.rejects(claimSocketSlot(dir), /All 8 session socket slots in .* are taken/);
    await Deno.remove(claimed[3]!.dir, { recursive: true });
    assert.equal((await claimSocketSlot(dir)).path, `${dir}/3/socket`);
  } finally {
    await Deno.remove(parent, { recursive: true });
  }
});
