/**
 * python-can's `socketcan` interface. Deno has no AF_CAN sockets, so opening one fails with a
 * clear error instead of pretending; benches with SocketCAN can bridge it to `udp_multicast`
 * (e.g. python-can's `can.logger`/`can.player`, or cannelloni) until a native backend exists.
 */
import { ConnectionError } from "@jumpstarter/lib/wire";
import type { CanBus } from "./bus.ts";

export function openSocketCan(channel: string | number | null): Promise<CanBus> {
  const name = channel === null ? "(no channel)" : String(channel);
  const exists = (() => {
    try {
      Deno.statSync(`/sys/class/net/${name}`);
      return true;
    } catch {
      return false;
    }
  })();
  const why = exists
    ? "this exporter cannot open AF_CAN sockets (not supported by Deno)"
    : `no network interface "${name}" on this host`;
  return Promise.reject(new ConnectionError(`Cannot open SocketCAN channel ${name}: ${why}`));
}
