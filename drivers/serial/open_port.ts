import type { PortAddress } from "./address.ts";
import { LoopPort, SocketPort } from "./other_ports.ts";
import type { Port } from "./port.ts";
import { type TtyOptions, TtyPort } from "./tty_port.ts";

/** Opens the port at `address` (a tty is configured raw at `baudrate`). */
export async function openPort(
  address: PortAddress,
  baudrate: number,
  options: TtyOptions = {},
): Promise<Port> {
  switch (address.kind) {
    case "device":
      return await TtyPort.open(address.path, baudrate, options);
    case "socket":
      return await SocketPort.open(address.hostname, address.port);
    case "loop":
      return new LoopPort();
  }
}
