"""Drives the `ustreamer` driver of the exporter at JUMPSTARTER_HOST with upstream's own client
library: the DriverCall and Stream code of `jumpstarter.client.base.DriverClient` (the uStreamer
client package is not installed in the upstream peer, so the tree holds a stub whose base-class
methods are called directly). Prints what it got as one JSON object."""
import base64
import json
import os

os.environ.setdefault("JMP_DRIVERS_ALLOW", "UNSAFE")
os.environ["_JMP_SUPPRESS_DRIVER_WARNINGS"] = "1"

from jumpstarter.client.base import DriverClient  # noqa: E402
from jumpstarter.utils.env import env  # noqa: E402


def first_frame(stream, path):
    """GET path on the raw connection; returns the response head and the first part's bytes."""
    stream.send(f"GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode("ascii"))
    data = b""
    while True:
        data += stream.receive()
        head, _, rest = data.partition(b"\r\n\r\n")
        part_head, sep, part = rest.partition(b"\r\n\r\n")
        if not sep:
            continue
        length = next(
            int(line.split(b":", 1)[1])
            for line in part_head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        if len(part) >= length:
            return head.decode("ascii", "replace"), part[:length]


with env() as root:
    driver = root.children["ustreamer"]
    state = DriverClient.call(driver, "state")
    snapshot = base64.b64decode(DriverClient.call(driver, "snapshot"))
    path = DriverClient.call(driver, "stream_path")
    with DriverClient.stream(driver, "connect") as stream:
        head, frame = first_frame(stream, path)
    print(json.dumps({
        "client": driver.labels["jumpstarter.dev/client"],
        "state": state,
        "snapshot_head": snapshot[:2].hex(),
        "snapshot_size": len(snapshot),
        "stream_path": path,
        "stream_status": head.split("\r\n", 1)[0],
        "frame_head": frame[:2].hex(),
    }))
