"""The node's WebSocket as the gateway's way upstream: a pool of connections, each carrying one
JSON-RPC message at a time, so that the next message a connection receives is the node's answer to
the one sent on it. Nothing is rewritten (no ids renumbered): the bytes a caller sent go to the
node as they are, and the node's answer comes back as it is.

Why not HTTP for every request: per request, aiohttp's HTTP client costs the gateway more CPU than
everything else it does for a read (``scripts/gateway_bench.py --profile``), and on a busy
machine CPU is latency. A WebSocket message is a frame on an open connection: measured in the
same run, a pass-through hop over the node's WebSocket costs ~40 % less than over its HTTP
(docs/NOTES.md, session 5).

Only messages the node answers go this way: every request with a string or number ``id`` and no
subscription (``*_subscribe`` / ``*_unsubscribe``: notifications on a pooled connection would be
taken for answers). The rest, and everything while the node's WebSocket cannot be opened, goes
over HTTP (:mod:`.upstream`).

Connections idle longer than :data:`IDLE_SECONDS` are closed rather than reused (geth pings a
quiet WebSocket after 30 s and closes it 30 s later when nobody reads the ping). A reused
connection the node closed meanwhile is replaced once, transparently; a fresh one that fails is
the node unavailable.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

import aiohttp

IDLE_SECONDS = 20.0
"""A pooled connection idle longer than this is closed, not reused."""
POOL_SIZE = 64
"""Most connections open at once; more concurrent requests wait for one."""
RETRY_SOCKET_SECONDS = 5.0
"""After the node's WebSocket could not be opened, HTTP only for this long."""


Expect = Callable[[str], bool]
"""Whether a text is the answer to the message sent (:func:`answers_ids`)."""


def answers_ids(payload: Any) -> Expect | None:
    """For a parsed request or batch sent over a pooled connection: a check that an answer is its
    answer, so a connection out of step is caught, not believed. Every answer must be an object
    carrying one of the ids sent; ``null`` only on an error without a result (the node could not
    tie it to a request); a notification never. Every answer is parsed, whatever its size: a
    leftover answer padded past any limit must not pass. ``None`` for what has no id."""
    if isinstance(payload, dict):  # the common case, kept cheap: one id, compared with its type
        if "id" not in payload:
            return None
        rid = payload["id"]

        def expect_one(text: str) -> bool:
            try:
                answer = json.loads(text)
            except ValueError:
                return False
            if not isinstance(answer, dict) or "method" in answer:
                return False
            got = answer.get("id")
            if got is None:
                return "error" in answer and "result" not in answer
            return type(got) is type(rid) and bool(got == rid)

        return expect_one
    if not isinstance(payload, list):
        return None
    ids = {json.dumps(r.get("id")) for r in payload if isinstance(r, dict) and "id" in r}
    if not ids:
        return None

    def answers(answer: Any) -> bool:
        if not isinstance(answer, dict) or "method" in answer:
            return False
        rid = json.dumps(answer.get("id"))
        return rid in ids or (rid == "null" and "error" in answer and "result" not in answer)

    def expect(text: str) -> bool:
        try:
            answer = json.loads(text)
        except ValueError:
            return False
        if isinstance(answer, dict):  # a batch refused whole: one error
            return "error" in answer and "result" not in answer and json.dumps(answer.get("id")) == "null"
        return isinstance(answer, list) and bool(answer) and all(answers(a) for a in answer)

    return expect


class SocketUnavailable(Exception):
    """The node's WebSocket could not carry the message: use HTTP, or report the node unavailable."""

    def __init__(self, message: str, *, sent: bool) -> None:
        super().__init__(message)
        self.sent = sent
        """Whether the message may have reached the node (then it is not sent again another way)."""


def goes_over_socket(payload: Any) -> bool:
    """Whether the node answers ``payload`` (a parsed request or batch) with exactly one message that
    nothing else follows on the connection."""
    requests = payload if isinstance(payload, list) else [payload]
    answered = False
    for request in requests:
        if not isinstance(request, dict):
            return False
        method = request.get("method")
        if not isinstance(method, str) or method.endswith(("_subscribe", "_unsubscribe")):
            return False
        if "id" in request:
            rid = request["id"]
            if isinstance(rid, bool) or not isinstance(rid, (str, int)):
                return False  # null, a fraction or a structure: nodes differ on whether and how they echo it
            answered = True
    return answered


class _Connection:
    __slots__ = ("ws", "idle_since")

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.idle_since = time.monotonic()


class SocketPool:
    """Connections to the node's WebSocket at ``url``, opened with ``session()`` as needed."""

    def __init__(self, session: Callable[[], aiohttp.ClientSession], url: str, timeout: float,
                 size: int = POOL_SIZE) -> None:
        self._session = session
        self.url = url
        self.timeout = timeout
        self._idle: list[_Connection] = []
        self.size = size
        self._slots = asyncio.Semaphore(size)
        self.in_use = 0
        """Slots held: messages sent or waiting to be, whose answers are not read yet."""
        self._down_until = 0.0
        self._closing: set[asyncio.Task[Any]] = set()
        self.opened = 0
        """Connections opened (tests and health)."""
        self.last_error: str | None = None

    @property
    def available(self) -> bool:
        """False for a while after the node's WebSocket could not be opened."""
        return time.monotonic() >= self._down_until

    async def exchange(self, text: str, expect: Expect | None = None) -> str:
        """Send ``text`` (one JSON-RPC request or batch the node answers) and return the answer;
        ``expect``: whether an answer is the one to ``text`` (:func:`answers_ids`); one that is not
        means the connection is out of step, and it is closed, never reused."""
        return await (await self.begin(text, expect)).answer()

    async def begin(self, text: str, expect: Expect | None = None) -> PendingAnswer:
        """Send ``text`` now (the frame is written before this returns, unless the connection's
        buffer is full) and hold its connection until :meth:`PendingAnswer.answer` is awaited: the
        node works on it while the caller does something else."""
        try:
            async with asyncio.timeout(self.timeout):
                await self._slots.acquire()
        except TimeoutError:
            raise SocketUnavailable(f"no connection to the node's WebSocket came free within {self.timeout:g} s",
                                    sent=False) from None
        self.in_use += 1
        try:
            async with asyncio.timeout(self.timeout):  # a node that stops reading holds no slot for ever
                sent = await self._send(text)
        except TimeoutError:
            self._release()
            raise SocketUnavailable(f"the node's WebSocket took no message within {self.timeout:g} s",
                                    sent=True) from None
        except BaseException:
            self._release()
            raise
        return PendingAnswer(self, text, expect, *sent)

    def spare(self) -> bool:
        """Whether fewer than half the slots are held: a caller that will hold one slot while it
        waits for another (an early question) may take one only then, so the rest always finish."""
        return self.in_use < self.size // 2

    def _release(self) -> None:
        self.in_use -= 1
        self._slots.release()

    async def _send(self, text: str) -> tuple[_Connection, bool]:
        for _attempt in range(2):
            connection, reused = await self._take()
            try:
                await connection.ws.send_str(text)
            except (aiohttp.ClientError, OSError):
                self._discard(connection)
                if reused:
                    continue  # the node closed it while idle: a fresh one
                raise SocketUnavailable("the node's WebSocket closed as it was written to", sent=False) from None
            except BaseException:
                self._discard(connection)
                raise
            return connection, reused
        raise SocketUnavailable("the node's WebSocket closed as it was written to", sent=False)

    async def _receive(self, connection: _Connection, expect: Expect | None) -> str:
        ws = connection.ws
        try:
            async with asyncio.timeout(self.timeout):
                message = await ws.receive()
        except TimeoutError:
            self._discard(connection)
            raise SocketUnavailable(f"the node did not answer on its WebSocket within {self.timeout:g} s",
                                    sent=True) from None
        except BaseException:
            self._discard(connection)  # cancelled mid-exchange: its answer would be read as the next one's
            raise
        if message.type is aiohttp.WSMsgType.TEXT:
            text = str(message.data)
            if expect is not None and not expect(text):
                self._discard(connection)  # out of step: every later answer on it would be another's
                raise SocketUnavailable("the node's answer on its WebSocket was not the answer to the request sent "
                                        "(the connection is closed)", sent=True)
            connection.idle_since = time.monotonic()
            self._idle.append(connection)
            return text
        self._discard(connection)
        if message.type is aiohttp.WSMsgType.BINARY:
            raise SocketUnavailable("the node answered on its WebSocket with a binary frame", sent=True)
        raise _Stale  # CLOSE, CLOSING, CLOSED or ERROR: nothing was answered

    async def close(self) -> None:
        """Close every idle connection (in-flight ones close when their exchange ends)."""
        idle, self._idle = self._idle, []
        await asyncio.gather(*(c.ws.close() for c in idle), *self._closing, return_exceptions=True)

    async def _take(self) -> tuple[_Connection, bool]:
        now = time.monotonic()
        while self._idle:
            connection = self._idle.pop()
            if now - connection.idle_since <= IDLE_SECONDS and not connection.ws.closed:
                return connection, True
            self._discard(connection)
            for stale in self._idle:  # older still: the pool is last in, first out
                self._discard(stale)
            self._idle = []
        try:
            async with asyncio.timeout(self.timeout):
                ws = await self._session().ws_connect(self.url, max_msg_size=0, autoping=True)
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            self._down_until = time.monotonic() + RETRY_SOCKET_SECONDS
            self.last_error = str(exc) or type(exc).__name__
            raise SocketUnavailable(f"the node's WebSocket at {self.url} could not be opened: {self.last_error}",
                                    sent=False) from exc
        self.opened += 1
        return _Connection(ws), False

    def _discard(self, connection: _Connection) -> None:
        task = asyncio.ensure_future(connection.ws.close())
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)


class _Stale(Exception):
    """The connection was closed before any answer came."""


class PendingAnswer:
    """A message sent on a held connection (:meth:`SocketPool.begin`); await :meth:`answer` once."""

    def __init__(self, pool: SocketPool, text: str, expect: Expect | None, connection: _Connection,
                 reused: bool) -> None:
        self._pool = pool
        self._text = text
        self._expect = expect
        self._connection = connection
        self._reused = reused

    async def answer(self) -> str:
        """The node's answer (the connection goes back to the pool)."""
        try:
            try:
                return await self._pool._receive(self._connection, self._expect)
            except _Stale:
                if not self._reused:
                    raise SocketUnavailable("the node closed its WebSocket before answering", sent=True) from None
            # the node closed the reused connection before reading the message: once more on a fresh one
            connection, _ = await self._pool._send(self._text)
            try:
                return await self._pool._receive(connection, self._expect)
            except _Stale:
                raise SocketUnavailable("the node closed its WebSocket before answering", sent=True) from None
        finally:
            self._pool._release()
