"""Running a gateway: :func:`serve` (the CLI, until interrupted) and :func:`run_in_thread` (tests,
the benchmark: in a thread of its own, stopped by :meth:`RunningGateway.stop`)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from consortium_evm.enforce.gateway.config import GatewayConfig
from consortium_evm.enforce.gateway.server import Gateway

def serve(config: GatewayConfig, print_line: Callable[[str], None] = print) -> None:
    """Run the gateway until interrupted (the CLI)."""
    gateway = Gateway(config)
    web.run_app(gateway.application(), host=config.listen_host, port=config.listen_port, print=None,
                access_log=None, handle_signals=True, shutdown_timeout=5.0, loop=new_event_loop())


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop's event loop when it is installed (the hop costs less), else asyncio's."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
    return loop


@dataclass
class RunningGateway:
    """A gateway serving in a thread of its own (tests, the benchmark): its URL and :meth:`stop`."""

    gateway: Gateway
    url: str
    port: int
    loop: asyncio.AbstractEventLoop
    thread: threading.Thread
    _stop: Callable[[], Coroutine[Any, Any, None]]

    @property
    def ws_url(self) -> str:
        """``ws://`` URL of the gateway."""
        return "ws" + self.url[len("http"):]

    def stop(self) -> None:
        """Stop serving and end the thread."""
        if self.thread.is_alive():
            asyncio.run_coroutine_threadsafe(self._stop(), self.loop).result(timeout=15)
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=15)

    def __enter__(self) -> RunningGateway:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def run_in_thread(config: GatewayConfig, gateway: Gateway | None = None) -> RunningGateway:
    """Start ``config``'s gateway on its host and port (0: a free port) in a new thread."""
    gateway = gateway or Gateway(config)
    loop = asyncio.new_event_loop()
    started: dict[str, Any] = {}
    ready = threading.Event()

    async def start() -> None:
        runner = web.AppRunner(gateway.application(), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, config.listen_host, config.listen_port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        started["port"] = int(sockets[0].getsockname()[1]) if sockets else config.listen_port
        started["runner"] = runner

    def main() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(start())
        except BaseException as exc:  # noqa: BLE001 - reported to the starting thread
            started["error"] = exc
            ready.set()
            return
        ready.set()
        loop.run_forever()
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()

    thread = threading.Thread(target=main, name="consortium-gateway", daemon=True)
    thread.start()
    ready.wait(timeout=30)
    if "error" in started:
        raise started["error"]

    async def stop() -> None:
        await started["runner"].cleanup()

    port = int(started["port"])
    return RunningGateway(gateway, f"http://{config.listen_host}:{port}", port, loop, thread, stop)
