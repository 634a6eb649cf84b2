"""A python-can peer on the udp_multicast bus, for the tests of the CAN drivers.

Frames: answers each frame with id 0x123 by a frame 0x555 (noise, for filters) and then a frame
0x124 whose data is the request's reversed. ISO-TP: written here from ISO 15765-2 (normal 11-bit
addressing; python-can-isotp is not packaged by Debian): receives payloads on 0x7E0, answering
flow control with block size 8 and STmin 1 ms, then sends each payload back on 0x7E8 with every
byte inverted, honouring the flow control it gets. A frame with id 0x7FF ends it.
"""
import sys
import time

import can

RX, TX = 0x7E0, 0x7E8
BLOCK_SIZE, STMIN = 8, 1
MAX_FRAME_SIZE = 4095


def frame(data, arbitration_id=TX):
    return can.Message(arbitration_id=arbitration_id, is_extended_id=False, data=bytes(data))


def next_frame(bus, wanted, timeout=2.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        msg = bus.recv(deadline - time.monotonic())
        if msg is not None and msg.arbitration_id == wanted:
            return msg
    raise TimeoutError(f"no frame 0x{wanted:x} within {timeout} s")


def receive_payload(bus, first):
    pci = first.data[0] >> 4
    if pci == 0:
        return bytes(first.data[1:1 + (first.data[0] & 0xF)])
    length = ((first.data[0] & 0xF) << 8) | first.data[1]
    start = 2
    if length == 0:
        length = int.from_bytes(first.data[2:6], "big")
        start = 6
    if length > MAX_FRAME_SIZE:
        bus.send(frame([0x32, 0, 0]))  # flow control: overflow
        return None
    payload = bytearray(first.data[start:])
    bus.send(frame([0x30, BLOCK_SIZE, STMIN]))
    sequence, in_block = 1, 0
    while len(payload) < length:
        cf = next_frame(bus, RX, 5.0)
        if cf.data[0] >> 4 != 2 or cf.data[0] & 0xF != sequence:
            raise ValueError(f"expected consecutive frame {sequence}, got {cf.data.hex()}")
        payload += cf.data[1:1 + length - len(payload)]
        sequence = (sequence + 1) & 0xF
        in_block += 1
        if in_block == BLOCK_SIZE and len(payload) < length:
            bus.send(frame([0x30, BLOCK_SIZE, STMIN]))
            in_block = 0
    return bytes(payload)


def wait_clear_to_send(bus):
    while True:
        fc = next_frame(bus, RX, 5.0)
        status = fc.data[0] & 0xF
        if fc.data[0] >> 4 != 3:
            raise ValueError(f"expected flow control, got {fc.data.hex()}")
        if status == 0:
            st = fc.data[2]
            return fc.data[1], (st / 1000 if st <= 0x7F else (st - 0xF0) / 10000)
        if status == 2:
            raise ValueError("receiver reported overflow")


def send_payload(bus, payload):
    if len(payload) <= 7:
        bus.send(frame([len(payload), *payload]))
        return
    if len(payload) <= 0xFFF:
        header = [0x10 | len(payload) >> 8, len(payload) & 0xFF]
    else:
        header = [0x10, 0, *len(payload).to_bytes(4, "big")]
    offset = 8 - len(header)
    bus.send(frame([*header, *payload[:offset]]))
    sequence = 1
    while offset < len(payload):
        block, separation = wait_clear_to_send(bus)
        sent = 0
        while offset < len(payload) and (block == 0 or sent < block):
            if separation:
                time.sleep(separation)
            bus.send(frame([0x20 | sequence, *payload[offset:offset + 7]]))
            offset += 7
            sequence = (sequence + 1) & 0xF
            sent += 1


def main():
    bus = can.Bus(interface="udp_multicast", channel=sys.argv[1])
    print("ready", flush=True)
    while True:
        msg = bus.recv(10.0)
        if msg is None:
            print("idle for 10 s, stopping", file=sys.stderr)
            return 1
        if msg.arbitration_id == 0x7FF:
            return 0
        if msg.arbitration_id == 0x123:
            bus.send(frame([0xEE], 0x555))
            bus.send(frame(bytes(reversed(msg.data)), 0x124))
            print(f"frame {msg.data.hex()}", flush=True)
        elif msg.arbitration_id == RX:
            payload = receive_payload(bus, msg)
            if payload is None:
                print("isotp overflow", flush=True)
                continue
            print(f"isotp received {len(payload)}", flush=True)
            send_payload(bus, bytes(b ^ 0xFF for b in payload))
            print(f"isotp sent {len(payload)}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
