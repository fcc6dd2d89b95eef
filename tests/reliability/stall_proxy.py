"""A TCP proxy for the tests that can delay or stall what it forwards (asyncio, in a thread).

    proxy = StallProxy(upstream_port).start()   # listens on proxy.port
    proxy.set_delay(0.2)      # each chunk is forwarded 0.2 s after it was read, order kept
    proxy.stall()             # stop reading from the client: TCP back-pressure reaches it
    proxy.resume()
    proxy.stop()

Only the client -> upstream direction is stalled (the upstream's answers keep flowing), as
when a server stops reading a busy stream. Its receive buffer is small and fixed, so the
client's writes block after a few hundred kilobytes instead of after what Linux's autotuning
would allow (tcp_rmem reaches 32 MiB).
"""

import asyncio
import socket
import threading
import time

RECEIVE_BUFFER_BYTES = 64 * 1024


class StallProxy:
    def __init__(self, upstream_port, upstream_host="127.0.0.1"):
        self.upstream = (upstream_host, upstream_port)
        self.port = None
        self.delay = 0.0
        self.forwarded = {"up": 0, "down": 0}  # bytes
        self.connections = 0
        self._loop = asyncio.new_event_loop()
        self._running = None  # asyncio.Event: set while the client -> upstream pump may read
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server = None
        self._writers = []

    # ---- control (from the test's thread) ---------------------------------------------

    def start(self):
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._listen(), self._loop).result(10)
        return self

    def set_delay(self, seconds):
        self.delay = seconds

    def stall(self):
        self._loop.call_soon_threadsafe(self._running.clear)

    def resume(self):
        self._loop.call_soon_threadsafe(self._running.set)

    def stop(self):
        if not self._thread.is_alive():
            return
        asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    # ---- the proxy (in its thread) ------------------------------------------------------

    async def _listen(self):
        self._running = asyncio.Event()
        self._running.set()
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER_BYTES)  # inherited
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        self._server = await asyncio.start_server(self._accept, sock=sock, limit=16 * 1024)

    async def _close(self):
        self._server.close()
        for w in self._writers:
            w.close()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _accept(self, client_reader, client_writer):
        self.connections += 1
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            client_writer.close()
            return
        self._writers += [client_writer, up_writer]
        await asyncio.gather(self._pump(client_reader, up_writer, "up", stallable=True),
                             self._pump(up_reader, client_writer, "down", stallable=False),
                             return_exceptions=True)

    async def _pump(self, reader, writer, direction, stallable):
        # Chunks wait in a queue for their due time, so a delay keeps the order and adds
        # latency without lowering throughput.
        queue = asyncio.Queue()

        async def forward():
            while True:
                due, data = await queue.get()
                if data is None:
                    break
                wait = due - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                writer.write(data)
                await writer.drain()
                self.forwarded[direction] += len(data)
            writer.close()

        forwarder = asyncio.ensure_future(forward())
        try:
            while True:
                if stallable:
                    await self._running.wait()
                data = await reader.read(16 * 1024)
                if not data:
                    break
                queue.put_nowait((time.monotonic() + self.delay, data))
                if stallable and queue.qsize() > 64:
                    # Do not buffer here what a stalled or slow upstream has not taken.
                    while queue.qsize() > 1:
                        await asyncio.sleep(0.005)
        except (ConnectionError, OSError):
            pass
        queue.put_nowait((0, None))
        await asyncio.gather(forwarder, return_exceptions=True)
