/**
 * Our Can and IsoTpPython drivers against real python-can (Debian's python3-can) on its
 * udp_multicast bus, in a network namespace the test creates (`unshare -n`, multicast on `lo`).
 * The checks run inside it (`_testing/netns_lab.ts`); the ISO-TP peer is written from ISO 15765-2
 * in `_testing/python_can_peer.py` because python-can-isotp is not packaged by Debian.
 */
import assert from "node:assert/strict";

const LAB = new URL("./_testing/netns_lab.ts", import.meta.url).pathname;
// the root config enables Deno's unstable multicast API, as it does for jmp
const CONFIG = new URL("../../deno.json", import.meta.url).pathname;
const CHECKS = [
  "channel_info, state and protocol as python-can reports them",
  "a frame to python-can and its answer back, through a filter",
  "recv with a timeout and nothing on the bus returns nothing",
  "an oversize frame is refused before it reaches the bus",
  "ISO-TP: 4095 bytes to python-can and 4095 back, with flow control both ways",
  "ISO-TP: a short payload travels as one single frame",
  "ISO-TP: a payload over the peer's 4095 bytes ends in its overflow",
  "the python-can peer ends cleanly",
  "ISO-TP: no flow control (peer gone) times out clearly",
  "after shutdown the bus is gone and says so",
];

Deno.test("Can and IsoTpPython talk to python-can over udp_multicast in a netns", async () => {
  const script = "ip link set lo up && ip route add 224.0.0.0/4 dev lo && " +
    `exec "${Deno.execPath()}" run -A --config "${CONFIG}" "${LAB}"`;
  const result = await new Deno.Command("unshare", {
    args: ["-n", "sh", "-c", script],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).output();
  const stdout = new TextDecoder().decode(result.stdout);
  const stderr = new TextDecoder().decode(result.stderr);
  const seen = stdout.split("\n").filter((line) => line !== "");
  assert.deepEqual(
    seen,
    CHECKS.map((check) => `PASS ${check}`),
    `the lab in the netns exited with ${result.code}; stderr:\n${stderr}`,
  );
  assert.equal(result.code, 0);
});
