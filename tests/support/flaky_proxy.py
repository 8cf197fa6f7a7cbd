"""Test support: a fault-injecting HTTP proxy on 127.0.0.1 in front of a real JSON-RPC node.

Each request is forwarded to the node unless a planned fault says otherwise. Faults are planned per
JSON-RPC method (or for any request) and used up in order::

    with FlakyProxy(node.url) as proxy:
        proxy.plan(Fault.DROP_AFTER, method="eth_sendRawTransaction")      # once
        proxy.plan(Fault.HTTP_503, times=2)                                  # the next two requests
        proxy.script("eth_call", Fault.SLOW, None, Fault.HTTP_502)          # 1st and 3rd eth_call
        proxy.plan(Fault.DROP_BEFORE, method="eth_call", times=None)        # every eth_call, until cleared
        ...
        proxy.forwarded["eth_sendRawTransaction"]   # how many reached the node

The faults:

- ``DROP_BEFORE``: the connection is closed without an answer, the node never sees the request;
- ``DROP_AFTER``: the request is forwarded and the node answers, then the connection is closed
  without passing the answer on (the node did the work, the client never learns it);
- ``SLOW``: the request is forwarded at once, the answer is held ``slow_seconds`` (beyond the
  client's timeout), then passed on if the client is still there;
- ``HTTP_401``, ``HTTP_429``, ``HTTP_502``, ``HTTP_503``: an HTTP error page, nothing forwarded.

``down()`` makes every request fail as ``DROP_BEFORE`` (an endpoint that accepts connections and
answers nothing); ``up()`` ends that. A batch request (a JSON list) counts under the method of its
first element.
"""

from __future__ import annotations

import enum
import json
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Fault(enum.Enum):
    """What the proxy does to a request instead of forwarding it faithfully."""

    DROP_BEFORE = "drop-before"
    DROP_AFTER = "drop-after"
    SLOW = "slow"
    HTTP_401 = "http-401"
    HTTP_429 = "http-429"
    HTTP_502 = "http-502"
    HTTP_503 = "http-503"


_STATUS = {Fault.HTTP_401: 401, Fault.HTTP_429: 429, Fault.HTTP_502: 502, Fault.HTTP_503: 503}


@dataclass
class _Rule:
    fault: Fault | None
    method: str | None
    remaining: int | None  # None: until cleared


class FlakyProxy:
    """A threaded HTTP proxy to ``upstream`` that injects planned faults; see the module's text."""

    def __init__(self, upstream: str, *, slow_seconds: float = 3.0, upstream_timeout: float = 30.0) -> None:
        self.upstream = upstream
        self.slow_seconds = slow_seconds
        self.upstream_timeout = upstream_timeout
        self.received: Counter[str] = Counter()
        """Requests that reached the proxy, per JSON-RPC method."""
        self.forwarded: Counter[str] = Counter()
        """Requests passed on to the node (and answered by it), per JSON-RPC method."""
        self.injected: Counter[tuple[str, Fault]] = Counter()
        """Faults injected, per (method, fault)."""
        self.log: list[tuple[str, Fault | None]] = []
        """Every request in arrival order: its method and the fault it met (None: forwarded)."""
        self._rules: list[_Rule] = []
        self._lock = threading.Lock()
        self._down = False
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                method = _method_of(body)
                fault = proxy._take(method)
                if fault is Fault.DROP_BEFORE:
                    self._drop()
                    return
                if fault in _STATUS:
                    status = _STATUS[fault]
                    self._answer(status, f"{status} injected by FlakyProxy\n".encode(), "text/plain")
                    return
                status, data, content_type = proxy._forward(body)
                with proxy._lock:
                    proxy.forwarded[method] += 1
                if fault is Fault.DROP_AFTER:
                    self._drop()
                    return
                if fault is Fault.SLOW:
                    time.sleep(proxy.slow_seconds)
                self._answer(status, data, content_type)

            def _answer(self, status: int, data: bytes, content_type: str) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the client gave up (a timeout)

            def _drop(self) -> None:
                """Close the connection with no answer at all."""
                self.close_connection = True

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)

    # -- planning ------------------------------------------------------------------------------------

    def plan(self, fault: Fault | None, *, method: str | None = None, times: int | None = 1) -> None:
        """Inject ``fault`` into the next ``times`` requests of ``method`` (any method when None;
        every one until :meth:`clear` when ``times`` is None). Rules apply in the order planned: the
        first rule that matches a request is used (and used up). ``fault=None`` forwards the
        request faithfully, so that faults can be spaced out: ``[DROP_BEFORE, None, HTTP_503]``."""
        with self._lock:
            self._rules.append(_Rule(fault, method, times))

    def script(self, method: str | None, *faults: Fault | None) -> None:
        """Plan ``faults`` for the next requests of ``method``, one each, in order (None: forward)."""
        for fault in faults:
            self.plan(fault, method=method)

    def clear(self) -> None:
        """Forget every planned fault (and :meth:`up`)."""
        with self._lock:
            self._rules.clear()
            self._down = False

    def down(self) -> None:
        """Drop every request before forwarding, until :meth:`up`."""
        with self._lock:
            self._down = True

    def up(self) -> None:
        """Forward again (planned faults still apply)."""
        with self._lock:
            self._down = False

    def pending(self) -> int:
        """Planned faults not used yet (rules without a limit count as one)."""
        with self._lock:
            return sum(1 if r.remaining is None else r.remaining for r in self._rules)

    def faults(self, method: str) -> int:
        """Faults injected so far into requests of ``method``."""
        with self._lock:
            return sum(n for (m, _f), n in self.injected.items() if m == method)

    def _take(self, method: str) -> Fault | None:
        with self._lock:
            self.received[method] += 1
            fault: Fault | None = None
            if self._down:
                fault = Fault.DROP_BEFORE
            else:
                for rule in self._rules:
                    if rule.method is None or rule.method == method:
                        fault = rule.fault
                        if rule.remaining is not None:
                            rule.remaining -= 1
                            if rule.remaining <= 0:
                                self._rules.remove(rule)
                        break
            if fault is not None:
                self.injected[(method, fault)] += 1
            self.log.append((method, fault))
            return fault

    # -- forwarding ----------------------------------------------------------------------------------

    def _forward(self, body: bytes) -> tuple[int, bytes, str]:
        request = urllib.request.Request(
            self.upstream, data=body, headers={"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self.upstream_timeout) as response:  # noqa: S310 - 127.0.0.1
                return response.status, response.read(), response.headers.get("Content-Type", "application/json")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read(), exc.headers.get("Content-Type", "text/plain")

    # -- life ----------------------------------------------------------------------------------------

    def start(self) -> FlakyProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FlakyProxy:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def _method_of(body: bytes) -> str:
    try:
        data = json.loads(body)
    except ValueError:
        return "?"
    if isinstance(data, list):
        data = data[0] if data else {}
    return str(data.get("method", "?")) if isinstance(data, dict) else "?"
