"""The session half of :class:`~framestream_producer.AsyncProducer`: serving a stream's viewer sessions.

A mixin, so the producer keeps one class and one connection loop; this
module holds what only a producer created with ``sessions=True`` uses.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any, Callable, Dict, Mapping, Optional, Tuple

from ._ws import ConnectionClosed
from .errors import ProducerError
from .frames import build_metrics, encode
from .policy import FlowControl
from .protocol import ProtocolError, decode_input, set_target
from .sessions import ProducerSession, SessionBook, SessionInput

SessionCallback = Callable[[ProducerSession], None]
ParamsCallback = Callable[[ProducerSession, Dict[str, Any]], None]
InputCallback = Callable[[ProducerSession, SessionInput], None]
EndCallback = Callable[[ProducerSession, str], None]


class ServesSessions:
    """Session methods of :class:`~framestream_producer.AsyncProducer` (see its docstring)."""

    # Set by AsyncProducer.__init__.
    serves_sessions: bool
    on_session_start: Optional[SessionCallback]
    on_session_params: Optional[ParamsCallback]
    on_session_input: Optional[InputCallback]
    on_session_end: Optional[EndCallback]
    _book: SessionBook
    _flow: FlowControl
    _ws: Any
    _wake: Optional[asyncio.Event]
    _failure: Optional[ProducerError]
    _closing: bool

    if TYPE_CHECKING:  # defined by AsyncProducer

        def _start(self) -> None: ...
        async def _until(self, condition: Callable[[], bool], timeout: Optional[float]) -> None: ...
        def _call(self, callback: Optional[Callable[..., None]], *args: Any) -> None: ...

    @property
    def sessions(self) -> Mapping[int, ProducerSession]:
        """With ``sessions=True``: the sessions this connection serves, by target."""
        return dict(self._book.sessions)

    async def send_to(self, session: ProducerSession | int, frame: Any, inference_ms: Optional[float] = None, **metrics: float) -> bool:
        """Hands ``frame`` over for one session's viewer (``sessions=True``), as :meth:`send` does.

        Each session has its own credits and one-frame slot: a newer frame
        for the same session replaces a waiting one. Pass the input it
        answers as ``input_seq=``. Returns ``False`` when the session is not
        (or no longer) served here: it ended, or the connection dropped.
        """
        return self.offer_to(session, encode(frame, build_metrics(inference_ms, metrics)))

    def offer_to(self, session: ProducerSession | int, message: bytearray) -> bool:
        """Puts an encoded frame in a session's slot. Call on the producer's loop."""
        if not self.serves_sessions:
            raise TypeError("`send_to()` needs a producer created with sessions=True")
        target = session.target if isinstance(session, ProducerSession) else session
        if not isinstance(target, int) or isinstance(target, bool) or not 1 <= target <= 0xFFFFFFFF:
            raise TypeError(f"Expected `session` to be a ProducerSession or its target (an int >= 1), got `{session!r}`")
        if self._failure is not None:
            raise self._failure
        if self._closing:
            raise RuntimeError("This producer is closed")
        set_target(message, target)
        if not self._book.offer(target, message):
            return False
        assert self._wake is not None
        self._wake.set()
        return True

    async def end_session(self, session: ProducerSession | int, reason: Optional[str] = None) -> bool:
        """Ends a session this producer serves: its viewer is told ``reason`` and not reconnected.

        ``on_session_end`` follows as for any end. Returns ``False`` when the
        session is not served here (any more).
        """
        if not self.serves_sessions:
            raise TypeError("`end_session()` needs a producer created with sessions=True")
        if reason is not None and not isinstance(reason, str):
            raise TypeError(f"Expected `reason` to be a str, got `{reason!r}`")
        target = session.target if isinstance(session, ProducerSession) else session
        ws = self._ws
        if target not in self._book.sessions or ws is None:
            return False
        message: Dict[str, Any] = {"type": "sessionEnd", "target": target}
        if reason is not None:
            message["reason"] = reason
        try:
            await ws.send(json.dumps(message))
        except ConnectionClosed:
            return False
        return True

    async def next_input(self, timeout: Optional[float] = None) -> Optional[Tuple[ProducerSession, SessionInput]]:
        """The next ``(session, input)`` to answer: each session's newest camera frame, sessions taking turns.

        Waits for one; ``None`` once ``timeout`` seconds pass first. Older
        frames of a session that came while the model worked are skipped.
        """
        if not self.serves_sessions:
            raise TypeError("`next_input()` needs a producer created with sessions=True")
        self._start()
        try:
            await self._until(lambda: self._book.has_input, timeout)
        except asyncio.TimeoutError:
            return None
        return self._book.next_input()

    def _session_message(self, kind: str, msg: Mapping[str, Any]) -> None:
        if not self.serves_sessions:
            raise ProtocolError(f"`{kind}` sent to a producer that did not ask to serve sessions")
        if kind == "sessionStart":
            self._call(self.on_session_start, self._book.start(msg))
        elif kind == "sessionParams":
            session = self._book.params(msg)
            if session is not None:
                self._call(self.on_session_params, session, session.params)
        else:
            session = self._book.end(int(msg["target"]))
            if session is not None:
                self._call(self.on_session_end, session, str(msg.get("reason", "")))

    def _input(self, raw: bytes) -> None:
        header, jpeg = decode_input(raw)
        got = self._book.input(header, bytes(jpeg))
        # Input for a session that has just ended is a race, not an error.
        if got is not None:
            self._call(self.on_session_input, *got)

    def _take_for_session(self) -> Optional[bytearray]:
        """A session's waiting frame whose session has a credit, stamped; raises ``ValueError`` for one too big."""
        waiting = self._book.take()
        if waiting is None:
            return None
        try:
            self._flow.stamp(waiting[1])
        except ValueError:
            self._book.credit(waiting[0], 1)  # never sent: its credit stays
            raise
        return waiting[1]
