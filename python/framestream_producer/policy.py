"""Flow control and reconnect policy: small, pure, and tested without a socket."""

from __future__ import annotations

import random
import struct
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Optional, Tuple

from .errors import ProducerError
from .protocol import FORMAT_JPEG, set_frame_id


def frame_bytes(message: bytearray) -> int:
    """A frame's size as the server measures it against ``maxFrameBytes``.

    A JPEG counts its bytes; raw pixels count width × height × channels
    values, one byte each once encoded, so a float32 payload may be four
    times ``maxFrameBytes`` (the server's own limits, src/server/sources/frames.ts).
    """
    fmt, width, height, channels = message[1], *struct.unpack_from("<HHB", message, 8)
    if fmt == FORMAT_JPEG:
        return int(struct.unpack_from("<I", message, 16)[0])
    return int(width * height * channels)


@dataclass(frozen=True)
class Backoff:
    """How long to wait before reconnecting.

    Exponential from ``initial`` by ``factor`` up to ``maximum`` seconds,
    each delay shortened by a random fraction up to ``jitter`` so producers
    that lost the same server do not all come back in the same instant.
    """

    initial: float = 0.25
    """Delay after the first failure, seconds."""
    maximum: float = 10.0
    """No delay is longer than this, seconds."""
    factor: float = 2.0
    jitter: float = 0.5
    """Fraction in [0, 1] of each delay that is randomised away."""
    busy: float = 5.0
    """Delay between tries while another producer holds the stream (close 4409), seconds."""

    def __post_init__(self) -> None:
        if not self.initial > 0:
            raise ValueError(f"Expected `initial` to be > 0, got `{self.initial!r}`")
        if not self.maximum >= self.initial:
            raise ValueError(f"Expected `maximum` to be >= `initial`, got `{self.maximum!r}`")
        if not self.factor >= 1:
            raise ValueError(f"Expected `factor` to be >= 1, got `{self.factor!r}`")
        if not 0 <= self.jitter <= 1:
            raise ValueError(f"Expected `jitter` to be in [0, 1], got `{self.jitter!r}`")
        if not self.busy > 0:
            raise ValueError(f"Expected `busy` to be > 0, got `{self.busy!r}`")

    def delay(self, attempt: int, rng: Callable[[], float] = random.random) -> float:
        """Seconds to wait before try number ``attempt + 1`` (``attempt`` counts from 0)."""
        base = min(self.maximum, self.initial * self.factor ** min(attempt, 64))
        return base * (1 - self.jitter * rng())

    def after(self, error: Optional[ProducerError], attempt: int, rng: Callable[[], float] = random.random) -> Optional[float]:
        """Seconds to wait after ``error`` (``None``: an ordinary drop), or ``None`` to stop."""
        if error is None:
            return self.delay(attempt, rng)
        if error.fatal:
            return None
        if error.reason == "busy":
            return self.busy * (1 - self.jitter * rng() / 2)
        if error.retry_after is not None:
            return max(error.retry_after, self.delay(attempt, rng))
        return self.delay(attempt, rng)


@dataclass
class ProducerStats:
    """Counters since the producer was created."""

    frames_sent: int = 0
    """Frames written to a socket."""
    frames_replaced: int = 0
    """Frames a newer one replaced while waiting for a credit (latest wins): never sent."""
    frames_too_big: int = 0
    """Frames over the server's ``maxFrameBytes``, never sent."""
    in_flight: int = 0
    """Frames sent on this connection whose credit has not come back."""
    max_in_flight: int = 0
    """The most frames ever in flight at once; never above the server's ``credits``."""
    credits: int = 0
    """Frames that may be sent now."""
    connections: int = 0
    """Connections the server welcomed."""


class FlowControl:
    """The producer's side of the credits, with no I/O.

    The server grants ``credits`` in ``welcome`` and returns them in
    ``credit`` messages; each frame sent spends one. A frame offered with no
    credit waits in a single slot, and a newer frame replaces it, so nothing
    queues: when a credit comes back, the newest frame goes.
    """

    def __init__(self) -> None:
        self.stats = ProducerStats()
        self.pending: Optional[bytearray] = None
        self.watching = False
        self.max_frame_bytes: Optional[int] = None
        self.stream: Mapping[str, Any] = {}
        self._next_id = 0

    def welcome(self, msg: Mapping[str, Any]) -> None:
        s = self.stats
        s.credits, s.in_flight = int(msg["credits"]), 0
        s.connections += 1
        self.watching = bool(msg.get("watching", True))
        limit = msg.get("maxFrameBytes")
        self.max_frame_bytes = limit if isinstance(limit, int) and limit > 0 else None
        stream = msg.get("stream")
        self.stream = stream if isinstance(stream, dict) else {}

    def credit(self, n: int) -> None:
        s = self.stats
        s.credits += n
        s.in_flight = max(0, s.in_flight - n)

    def disconnected(self) -> None:
        """Credits belong to a connection; the pending frame stays for the next one."""
        self.stats.credits = 0
        self.stats.in_flight = 0

    def offer(self, message: bytearray) -> None:
        if self.pending is not None:
            self.stats.frames_replaced += 1
        self.pending = message

    def take(self) -> Optional[Tuple[int, bytearray]]:
        """The frame to send now, its id stamped and a credit spent; ``None`` if it must wait."""
        s = self.stats
        if self.pending is None or s.credits <= 0:
            return None
        message, self.pending = self.pending, None
        frame_id = self.stamp(message, stream=True)
        s.credits -= 1
        return frame_id, message

    def stamp(self, message: bytearray, stream: bool = False) -> int:
        """Checks a frame about to go out against ``maxFrameBytes``, gives it the next id and counts it.

        ``in_flight`` counts the stream's frames (target 0) only: a session's
        frames have credits of their own, kept by :class:`SessionBook`.
        """
        s = self.stats
        size = frame_bytes(message)
        if self.max_frame_bytes is not None and size > self.max_frame_bytes:
            s.frames_too_big += 1
            raise ValueError(f"A {size}-byte frame is over the server's maxFrameBytes ({self.max_frame_bytes}); not sent")
        frame_id = self._next_id
        self._next_id = (self._next_id + 1) & 0xFFFFFFFF
        set_frame_id(message, frame_id)
        if stream:
            s.in_flight += 1
            s.max_in_flight = max(s.max_in_flight, s.in_flight)
        s.frames_sent += 1
        return frame_id
