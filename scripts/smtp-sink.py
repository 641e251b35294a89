#!/usr/bin/env python3
"""A real SMTP server for the tests, on 127.0.0.1: accepts every message and writes it, with
its envelope recipients in an X-Envelope-To header, as one .eml file per message.

    smtp-sink.py --port 2525 --dir /tmp/mails [--delay 0.1]

Prints "ready <port>" once it listens. Needs aiosmtpd (scripts/test.sh installs it).
"""
import argparse
import asyncio
import os
import signal
import threading
import time
import uuid

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, directory, delay):
        self.directory = directory
        self.delay = delay

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        name = f"{time.time_ns()}-{uuid.uuid4().hex}.eml"
        tmp = os.path.join(self.directory, name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(("X-Envelope-To: " + ", ".join(envelope.rcpt_tos) + "\r\n").encode())
            f.write(envelope.original_content or envelope.content)
        # Rename last, so readers never see half a message.
        os.rename(tmp, os.path.join(self.directory, name))
        return "250 OK"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--delay", type=float, default=0.0)
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    controller = Controller(Sink(args.dir, args.delay), hostname="127.0.0.1", port=args.port)
    controller.start()
    print(f"ready {controller.port}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
