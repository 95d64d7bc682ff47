#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""qmp_screendump.py SOCKET DEVICE FILE

QEMU's own screendump of the console of DEVICE (a qdev id), as a PNG in FILE, asked for
through the QMP socket SOCKET: what QEMU's display shows, taken by QEMU. Exits non-zero,
saying why, when QEMU refuses or does not answer within a minute.
"""
import json
import socket
import sys


def command(stream, name, **arguments):
    stream.write(json.dumps({"execute": name, "arguments": arguments}) + "\n")
    stream.flush()
    while True:
        line = stream.readline()
        if not line:
            sys.exit(f"qmp: QEMU closed the socket during {name}")
        reply = json.loads(line)
        if "return" in reply:
            return reply["return"]
        if "error" in reply:
            sys.exit(f"qmp: {name}: {reply['error'].get('desc')}")


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    path, device, out = sys.argv[1:]
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(60)
        sock.connect(path)
        stream = sock.makefile("rw")
        json.loads(stream.readline())  # the greeting
        command(stream, "qmp_capabilities")
        command(stream, "screendump", filename=out, device=device, format="png")


if __name__ == "__main__":
    main()
