#!/usr/bin/env python3
"""Upstream's own Python client measuring one exporter at $JUMPSTARTER_HOST (driven by
bench/upstream_vs_ours.ts): DriverCall latency on `power`, bytes pushed to `sink` (a TcpNetwork
whose far end discards), and an echo round trip on `echo` (EchoNetwork). Prints one JSON line.

The calls run inside the client's own event loop (`call_async`, `stream_async`), so the figures
are the exporter and the transport, not the client's thread hop; `--sync-calls` also times the
blocking `client.power.on()` a user script would make, and `--stub-calls` times DriverCall
through upstream's generated gRPC stub alone (no client library around it): the exporter's
own share of a call.

`--serve-floor SOCKET` serves a bare grpcio DriverCall responder instead, and `--stub-only SOCKET`
times only the bare stub against any such responder: the floors a DriverCall cannot beat on each
gRPC stack (or, with `--stub-uuid`, against a real exporter's driver).

With `--exporter-pids`, the exporter's CPU time (all its processes and threads, from /proc) is read around each
phase: CPU per DriverCall and per GiB moved. Other load on the machine skews these far less than
the wall-clock figures. `clientBusy` is this client's own CPU time (all its threads) over the
wall-clock time of the sink and echo phases: near 1.0, the client's one core is what limits the
byte figures, whichever exporter it talks to.
"""

import argparse
import json
import os
import time

import anyio

os.environ.setdefault("JMP_DRIVERS_ALLOW", "UNSAFE")

from jumpstarter.utils.env import env  # noqa: E402


def percentiles(samples_ns):
    ordered = sorted(samples_ns)

    def rank(p):
        index = max(1, -(-p * len(ordered) // 100))
        return ordered[min(index, len(ordered)) - 1] / 1000

    return {"p50Us": rank(50), "p99Us": rank(99)}


async def driver_calls(power, count):
    for _ in range(20):
        await power.call_async("on")
    samples = []
    for _ in range(count):
        started = time.perf_counter_ns()
        await power.call_async("on")
        samples.append(time.perf_counter_ns() - started)
    return percentiles(samples)


async def push_to_sink(sink, total, chunk_size):
    chunk = b"\x5a" * chunk_size
    started = time.perf_counter()
    async with sink.stream_async("connect") as stream:
        for _ in range(total // chunk_size):
            await stream.send(chunk)
        await stream.send_eof()
        try:
            while True:
                await stream.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError, anyio.BrokenResourceError):
            pass
    seconds = time.perf_counter() - started
    return total / (1024 * 1024) / seconds


async def echo_round_trip(echo, total, chunk_size):
    chunk = b"\xa5" * chunk_size
    received = 0
    started = time.perf_counter()
    async with echo.stream_async("connect") as stream:

        async def send():
            for _ in range(total // chunk_size):
                await stream.send(chunk)

        async with anyio.create_task_group() as group:
            group.start_soon(send)
            while received < total:
                received += len(await stream.receive())
    seconds = time.perf_counter() - started
    if received != total:
        raise RuntimeError(f"echo returned {received} bytes, expected {total}")
    return total / (1024 * 1024) / seconds


def stub_calls(power_uuid, count, path=None):
    import grpc
    from jumpstarter_protocol.jumpstarter.v1 import jumpstarter_pb2, jumpstarter_pb2_grpc

    channel = grpc.secure_channel(
        "unix://" + (path or os.environ["JUMPSTARTER_HOST"]),
        grpc.local_channel_credentials(grpc.LocalConnectionType.UDS),
    )
    stub = jumpstarter_pb2_grpc.ExporterServiceStub(channel)
    request = jumpstarter_pb2.DriverCallRequest(uuid=str(power_uuid), method="on", args=[])
    for _ in range(20):
        stub.DriverCall(request)
    samples = []
    for _ in range(count):
        started = time.perf_counter_ns()
        stub.DriverCall(request)
        samples.append(time.perf_counter_ns() - started)
    channel.close()
    return percentiles(samples)


def serve_floor(path):
    """A bare grpcio server answering every DriverCall at once: the floor of a call over grpcio."""
    import asyncio

    import grpc
    from jumpstarter_protocol.jumpstarter.v1 import jumpstarter_pb2, jumpstarter_pb2_grpc

    class Floor(jumpstarter_pb2_grpc.ExporterServiceServicer):
        async def DriverCall(self, request, context):
            return jumpstarter_pb2.DriverCallResponse(uuid=request.uuid)

    async def serve():
        server = grpc.aio.server()
        jumpstarter_pb2_grpc.add_ExporterServiceServicer_to_server(Floor(), server)
        server.add_insecure_port("unix://" + path)
        await server.start()
        print("READY", flush=True)
        await server.wait_for_termination()

    asyncio.run(serve())


def cpu_seconds(pids):
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as stat:
            # fields after the command name (which may hold spaces): utime and stime are 14 and 15
            fields = stat.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


class Busy:
    """This client's CPU time (all its threads) over wall-clock time, per lap."""

    def __init__(self):
        self.cpu = time.process_time()
        self.wall = time.perf_counter()

    def lap(self):
        cpu, wall = time.process_time(), time.perf_counter()
        busy = (cpu - self.cpu) / (wall - self.wall)
        self.cpu, self.wall = cpu, wall
        return busy


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--sync-calls", type=int, default=200)
    parser.add_argument("--stub-calls", type=int, default=500)
    parser.add_argument("--sink-mib", type=int, default=256)
    parser.add_argument("--echo-mib", type=int, default=64)
    parser.add_argument("--chunk-kib", type=int, default=64)
    parser.add_argument("--exporter-pids", default="", help="the exporter's processes, comma-separated")
    parser.add_argument("--serve-floor", metavar="SOCKET", help="serve a bare DriverCall responder")
    parser.add_argument("--stub-only", metavar="SOCKET", help="only time stub DriverCalls to it")
    parser.add_argument("--stub-uuid", default="", help="the driver --stub-only calls (a floor: any)")
    args = parser.parse_args()
    if args.serve_floor:
        serve_floor(args.serve_floor)
        return
    if args.stub_only:
        print(json.dumps({"stubCall": stub_calls(args.stub_uuid, args.stub_calls, args.stub_only)}), flush=True)
        return
    chunk = args.chunk_kib * 1024
    result = {}
    pid = [int(p) for p in args.exporter_pids.split(",") if p]
    with env() as client:
        portal = client.portal
        cpu_start = cpu_seconds(pid)
        result["call"] = portal.call(driver_calls, client.children["power"], args.calls)
        samples = []
        for _ in range(args.sync_calls):
            started = time.perf_counter_ns()
            client.children["power"].on()
            samples.append(time.perf_counter_ns() - started)
        result["syncCall"] = percentiles(samples)
        result["stubCall"] = stub_calls(client.children["power"].uuid, args.stub_calls)
        cpu_calls = cpu_seconds(pid)
        own = Busy()
        result["sinkMibPerSecond"] = portal.call(
            push_to_sink, client.children["sink"], args.sink_mib * 1024 * 1024, chunk
        )
        own_sink = own.lap()
        cpu_sink = cpu_seconds(pid)
        result["echoMibPerSecond"] = portal.call(
            echo_round_trip, client.children["echo"], args.echo_mib * 1024 * 1024, chunk
        )
        own_echo = own.lap()
        cpu_echo = cpu_seconds(pid)
        # a client near 1.0 (a whole core) is the limit, whichever exporter it talks to
        result["clientBusy"] = {"sink": own_sink, "echo": own_echo}
        calls = args.calls + args.sync_calls + args.stub_calls + 40
        result["exporterCpu"] = {
            "perCallUs": (cpu_calls - cpu_start) / calls * 1e6,
            "sinkSecondsPerGib": (cpu_sink - cpu_calls) / (args.sink_mib / 1024),
            "echoSecondsPerGib": (cpu_echo - cpu_sink) / (args.echo_mib / 1024),
        }
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
