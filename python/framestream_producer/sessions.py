"""Serving viewer sessions (a stream created with ``session: 'producer'``): the bookkeeping, with no I/O.

Each session has its own credits and a one-frame slot, so a slow viewer
holds back only its own frames and with no credit only its newest frame
waits. Each session's newest input frame waits in another slot for
:meth:`SessionBook.next_input`, so a model slower than the cameras sees the
latest picture of each, never a backlog.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Tuple

from .protocol import InputHeader


@dataclass
class ProducerSession:
    """One viewer session this producer serves; the same object in every callback about it."""

    target: int
    """Its number on the server: what frames are addressed to (never 0)."""
    id: str
    """Its public id, the same after a reconnect: key state kept across one by it."""
    params: Dict[str, Any] = field(default_factory=dict)
    """The viewer's latest params, ``{}`` before any."""
    viewer: Any = None
    """What the server's ``ingest.sessionInfo`` chose to share about the viewer, or ``None``."""
    expires_at: Optional[float] = None
    """Server wall clock (ms since the epoch) when the session ends at the latest, or ``None``."""


@dataclass(frozen=True)
class SessionInput:
    """One camera frame from a session's viewer, the JPEG exactly as its browser encoded it."""

    seq: int
    """The viewer's sequence number; pass it back as ``input_seq=`` with the answer."""
    width: int
    height: int
    capture_time: float
    """When the viewer captured it, ms since the epoch, the viewer's clock."""
    jpeg: bytes


class SessionBook:
    """The sessions of one connection, their credits, waiting frames and newest inputs."""

    def __init__(self) -> None:
        self.sessions: Dict[int, ProducerSession] = {}
        self.granted = 0
        self.frames_replaced = 0
        self.inputs_replaced = 0
        self._credits: Dict[int, int] = {}
        self._pending: Dict[int, bytearray] = {}
        self._inputs: Dict[int, SessionInput] = {}

    @property
    def has_input(self) -> bool:
        """Whether an input waits for :meth:`next_input`."""
        return bool(self._inputs)

    @property
    def has_pending(self) -> bool:
        """Whether a frame for a session waits for its credit."""
        return bool(self._pending)

    def start(self, msg: Mapping[str, Any]) -> ProducerSession:
        target = int(msg["target"])
        expires = msg.get("expiresAt")
        session = ProducerSession(
            target, str(msg["id"]), dict(msg.get("params") or {}), msg.get("viewer"),
            float(expires) if isinstance(expires, (int, float)) else None,
        )
        self.sessions[target] = session
        self._credits[target] = self.granted
        return session

    def params(self, msg: Mapping[str, Any]) -> Optional[ProducerSession]:
        session = self.sessions.get(int(msg["target"]))
        if session is not None:
            session.params = dict(msg.get("params") or {})
        return session

    def end(self, target: int) -> Optional[ProducerSession]:
        self._credits.pop(target, None)
        self._pending.pop(target, None)
        self._inputs.pop(target, None)
        return self.sessions.pop(target, None)

    def disconnected(self) -> List[ProducerSession]:
        """The connection ended: every session is gone from it (the next one is told of those still open)."""
        ended = list(self.sessions.values())
        self.sessions.clear()
        self._credits.clear()
        self._pending.clear()
        self._inputs.clear()
        return ended

    # -- frames to sessions -------------------------------------------------

    def offer(self, target: int, message: bytearray) -> bool:
        """Puts a frame in the session's slot (replacing one waiting); ``False`` for a session not known here."""
        if target not in self.sessions:
            return False
        if target in self._pending:
            self.frames_replaced += 1
        self._pending[target] = message
        return True

    def credit(self, target: int, n: int) -> None:
        if target in self._credits:
            self._credits[target] = min(self.granted, self._credits[target] + n)

    def take(self) -> Optional[Tuple[int, bytearray]]:
        """A waiting frame whose session has a credit in hand (spent now), or ``None``."""
        for target, message in self._pending.items():
            if self._credits.get(target, 0) > 0:
                del self._pending[target]
                self._credits[target] -= 1
                return target, message
        return None

    # -- inputs from viewers ------------------------------------------------

    def input(self, header: InputHeader, jpeg: bytes) -> Optional[Tuple[ProducerSession, SessionInput]]:
        """Keeps the newest input of a known session for :meth:`next_input`; ``None`` for an unknown one."""
        session = self.sessions.get(header.target)
        if session is None:
            return None
        item = SessionInput(header.seq, header.width, header.height, header.capture_time, jpeg)
        if header.target in self._inputs:
            self.inputs_replaced += 1
            del self._inputs[header.target]  # to the back: sessions take turns
        self._inputs[header.target] = item
        return session, item

    def next_input(self) -> Optional[Tuple[ProducerSession, SessionInput]]:
        """The input that has waited longest, of the session it belongs to, or ``None``."""
        for target in self._inputs:
            return self.sessions[target], self._inputs.pop(target)
        return None
