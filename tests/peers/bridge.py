"""A bridge from ZooKeeper to browsers as a Python developer would write it: kazoo and websockets.

It keeps a children watch on one path (kazoo's ChildrenWatch re-arms it on every event) and
sends the sorted children as JSON to every WebSocket viewer. zkplay's benchmark measures it
beside zkplay.

Usage: python3 bridge.py <zookeeper host:port> <path> <port>
"""

import asyncio
import json
import signal
import sys

import websockets
from kazoo.client import KazooClient


async def main(connect: str, path: str, port: int) -> None:
    loop = asyncio.get_running_loop()
    viewers = set()
    latest = json.dumps({"children": []})

    def broadcast(message: str) -> None:
        nonlocal latest
        latest = message
        websockets.broadcast(viewers, message)

    zk = KazooClient(hosts=connect, timeout=10.0)
    zk.start()
    zk.ensure_path(path)

    # Called on kazoo's thread: hand the list to the event loop.
    def on_children(children):
        message = json.dumps({"children": sorted(children)})
        loop.call_soon_threadsafe(broadcast, message)

    zk.ChildrenWatch(path, on_children)

    async def serve(viewer):
        viewers.add(viewer)
        try:
            await viewer.send(latest)
            await viewer.wait_closed()
        finally:
            viewers.discard(viewer)

    stop = loop.create_future()
    loop.add_signal_handler(signal.SIGTERM, stop.set_result, None)
    async with websockets.serve(serve, "127.0.0.1", port):
        print("ready", flush=True)
        await stop
    zk.stop()
    zk.close()


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit("usage: python3 bridge.py <zookeeper host:port> <path> <port>")
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
