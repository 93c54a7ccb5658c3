"""Send frames from a model in Python to a framestream stream's ingest endpoint.

``Producer`` for scripts and torch loops, ``AsyncProducer`` for asyncio code;
both speak ``framestream.producer.v1`` (docs/producers.md) through the same
protocol core, and with ``sessions=True`` serve each viewer's session of a
stream created with ``session: 'producer'``. Depends only on ``websockets``; numpy and PIL frames work when
those are installed.
"""

from .aio import AsyncProducer
from .errors import ProducerError
from .policy import Backoff, ProducerStats
from .protocol import SUBPROTOCOL, FrameHeader, InputHeader, ProtocolError, decode_frame, decode_input, encode_frame
from .sessions import ProducerSession, SessionInput
from .sync import Producer

__version__ = "0.1.0"

__all__ = [
    "AsyncProducer",
    "Backoff",
    "FrameHeader",
    "InputHeader",
    "Producer",
    "ProducerSession",
    "ProducerError",
    "ProducerStats",
    "ProtocolError",
    "SUBPROTOCOL",
    "SessionInput",
    "decode_frame",
    "decode_input",
    "encode_frame",
]
