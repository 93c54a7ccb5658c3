"""The wire format of ``framestream.producer.v1`` (docs/producers.md).

Pure functions over bytes and dicts, with no I/O: the asyncio client, the
blocking client and the tests all go through them. The layout mirrors
``src/protocol/producer.ts``, the reference encoder and decoder.

Producer → server, one binary message per frame, integers little-endian::

    offset type  field
         0 u8    message type, 1 (frame)
         1 u8    format: 1 JPEG, 2 raw uint8, 3 raw float32 (0-1)
         2 u16   header length H = 24 + metrics JSON bytes
         4 u32   target: 0, the stream's viewers; else a session's number
         8 u16   width (raw; 0 for JPEG)
        10 u16   height (raw; 0 for JPEG)
        12 u8    channels: 1, 3 or 4 (raw; 0 for JPEG)
        13 u8    reserved, 0
        14 u16   reserved, 0
        16 u32   payload length P
        20 u32   frame id, echoed in ``credit``
        24 utf8  optional metrics JSON object of numbers
         H P     the JPEG file, or width × height × channels values

A producer that serves sessions (``?sessions=1`` on its URL) also gets, per
viewer camera frame, one binary message from the server::

    offset type  field
         0 u8    message type, 2 (session input)
         1 u8    codec, 1 JPEG
         2 u16   header length H, 24
         4 u32   target: the session's number
         8 u32   the viewer's input sequence number
        12 u16   width
        14 u16   height
        16 f64   capture time, ms since the epoch, the viewer's clock
         H       the viewer's JPEG file, unchanged
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Optional

SUBPROTOCOL = "framestream.producer.v1"
PROTOCOL_VERSION = 1
FRAME_TYPE = 1
HEADER_BYTES = 24
MAX_METRICS_BYTES = 0xFFFF - HEADER_BYTES

FORMAT_JPEG = 1
FORMAT_UINT8 = 2
FORMAT_FLOAT32 = 3
FORMATS = {"jpeg": FORMAT_JPEG, "uint8": FORMAT_UINT8, "float32": FORMAT_FLOAT32}
_FORMAT_NAMES = {v: k for k, v in FORMATS.items()}
_BYTES_PER_VALUE = {"uint8": 1, "float32": 4}

# Close codes the ingest endpoint uses besides 1000/1001/1009.
CLOSE_PROTOCOL_ERROR = 4400
CLOSE_UNAUTHORIZED = 4401
CLOSE_BUSY = 4409
CLOSE_REPLACED = 4410
CLOSE_SESSIONS_REQUIRED = 4412

SESSIONS_PARAM = "sessions"
INPUT_TYPE = 2
INPUT_HEADER_BYTES = 24
_INPUT_HEADER = struct.Struct("<BBHIIHHd")
assert _INPUT_HEADER.size == INPUT_HEADER_BYTES

# type, format, header length, target, width, height, channels,
# reserved u8, reserved u16, payload length, frame id
_HEADER = struct.Struct("<BBHIHHBBHII")
assert _HEADER.size == HEADER_BYTES


@dataclass
class FrameHeader:
    """What one producer frame header says."""

    format: str
    """``'jpeg'``, ``'uint8'`` or ``'float32'``."""
    width: int = 0
    height: int = 0
    channels: int = 0
    frame_id: int = 0
    target: int = 0
    metrics: Optional[Dict[str, float]] = field(default=None)


def _u16(name: str, value: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 0xFFFF:
        raise ValueError(f"Expected `{name}` to be an integer in [0, 65535], got `{value!r}`")
    return value


def encode_metrics(metrics: Optional[Mapping[str, Any]]) -> bytes:
    """Serialises a flat mapping of finite numbers; raises naming a bad key."""
    if not metrics:
        return b""
    clean: Dict[str, float] = {}
    for key, value in metrics.items():
        if not isinstance(key, str):
            raise TypeError(f"Expected metric names to be strings, got `{key!r}`")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            # numpy scalars are not int/float subclasses (except float64); accept
            # anything that converts to a float without losing meaning.
            try:
                value = float(value)
            except (TypeError, ValueError):
                raise TypeError(f"Expected metric `{key}` to be a number, got `{value!r}`") from None
        if not math.isfinite(value):
            raise ValueError(f"Expected metric `{key}` to be a finite number, got `{value!r}`")
        clean[key] = value
    data = json.dumps(clean, separators=(",", ":"), allow_nan=False).encode("utf-8")
    if len(data) > MAX_METRICS_BYTES:
        raise ValueError(f"Expected metrics to serialise to at most {MAX_METRICS_BYTES} bytes, got {len(data)}")
    return data


def encode_frame(header: FrameHeader, payload: bytes | bytearray | memoryview) -> bytearray:
    """Builds one frame message; raises ``TypeError``/``ValueError`` naming the field.

    Returns a ``bytearray`` so a client can stamp the frame id
    (:func:`set_frame_id`) at the moment it sends, without copying the payload.
    """
    fmt = FORMATS.get(header.format)
    if fmt is None:
        raise TypeError(f"Expected `format` to be 'jpeg', 'uint8' or 'float32', got `{header.format!r}`")
    payload = memoryview(payload).cast("B")
    if fmt != FORMAT_JPEG:
        if header.channels not in (1, 3, 4):
            raise ValueError(f"Expected `channels` to be 1, 3 or 4, got `{header.channels!r}`")
        if header.width < 1 or header.height < 1:
            raise ValueError(f"Expected a raw frame of at least 1x1 pixels, got {header.width}x{header.height}")
        expected = header.width * header.height * header.channels * _BYTES_PER_VALUE[header.format]
        if len(payload) != expected:
            raise ValueError(
                f"A {header.width}x{header.height}x{header.channels} {header.format} frame needs {expected} bytes, "
                f"got {len(payload)}"
            )
    if len(payload) > 0xFFFFFFFF:
        raise ValueError(f"Expected the payload to be at most {0xFFFFFFFF} bytes, got {len(payload)}")
    metrics = encode_metrics(header.metrics)
    header_length = HEADER_BYTES + len(metrics)
    msg = bytearray(header_length + len(payload))
    _HEADER.pack_into(
        msg,
        0,
        FRAME_TYPE,
        fmt,
        header_length,
        header.target & 0xFFFFFFFF,
        _u16("width", header.width),
        _u16("height", header.height),
        header.channels,
        0,
        0,
        len(payload),
        header.frame_id & 0xFFFFFFFF,
    )
    msg[HEADER_BYTES:header_length] = metrics
    msg[header_length:] = payload
    return msg


def set_frame_id(message: bytearray, frame_id: int) -> None:
    """Writes ``frame_id`` (taken modulo 2**32) into an encoded frame in place."""
    struct.pack_into("<I", message, 20, frame_id & 0xFFFFFFFF)


def set_target(message: bytearray, target: int) -> None:
    """Addresses an encoded frame to a session (``target`` >= 1) in place."""
    struct.pack_into("<I", message, 4, target & 0xFFFFFFFF)


class ProtocolError(ValueError):
    """Bytes or a message that do not follow ``framestream.producer.v1``."""

    code = "ERR_PRODUCER_PROTOCOL"


def decode_frame(message: bytes | bytearray | memoryview) -> tuple[FrameHeader, memoryview]:
    """Reads a frame message, checking every length against the bytes there.

    The server's decoder does the same; this one exists so the encoder can be
    tested against the layout, and for tools that inspect producer traffic.
    """
    view = memoryview(message).cast("B")
    if len(view) < HEADER_BYTES:
        raise ProtocolError(f"{len(view)} bytes, shorter than the {HEADER_BYTES}-byte header")
    (kind, fmt, header_length, target, width, height, channels, _r1, _r2, payload_length, frame_id) = _HEADER.unpack_from(
        view, 0
    )
    if kind != FRAME_TYPE:
        raise ProtocolError(f"unknown message type {kind}")
    name = _FORMAT_NAMES.get(fmt)
    if name is None:
        raise ProtocolError(f"unknown format {fmt}")
    if header_length < HEADER_BYTES:
        raise ProtocolError(f"header length {header_length} is below {HEADER_BYTES}")
    if header_length + payload_length != len(view):
        raise ProtocolError(f"header says {header_length} + {payload_length} bytes, the message has {len(view)}")
    if name != "jpeg":
        if channels not in (1, 3, 4):
            raise ProtocolError(f"channels must be 1, 3 or 4, got {channels}")
        expected = width * height * channels * _BYTES_PER_VALUE[name]
        if width == 0 or height == 0 or payload_length != expected:
            raise ProtocolError(f"{width}x{height}x{channels} {name} needs {expected} bytes, got {payload_length}")
    header = FrameHeader(name, width, height, channels, frame_id, target)
    if header_length > HEADER_BYTES:
        try:
            metrics = json.loads(bytes(view[HEADER_BYTES:header_length]).decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise ProtocolError("metrics are not valid JSON") from None
        if not isinstance(metrics, dict):
            raise ProtocolError("metrics must be a JSON object")
        header.metrics = {
            k: v for k, v in metrics.items() if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
        }
    return header, view[header_length:]


@dataclass(frozen=True)
class InputHeader:
    """What a session input message's header says."""

    target: int
    seq: int
    width: int
    height: int
    capture_time: float


def decode_input(message: bytes | bytearray | memoryview) -> tuple[InputHeader, memoryview]:
    """Reads a session input message; the JPEG is a view of ``message``."""
    view = memoryview(message).cast("B")
    if len(view) < INPUT_HEADER_BYTES:
        raise ProtocolError(f"session input of {len(view)} bytes, shorter than its header")
    kind, codec, header_length, target, seq, width, height, capture_time = _INPUT_HEADER.unpack_from(view, 0)
    if kind != INPUT_TYPE:
        raise ProtocolError(f"unknown binary message type {kind}")
    if codec != 1:
        raise ProtocolError(f"unknown input codec {codec}")
    if not INPUT_HEADER_BYTES <= header_length <= len(view):
        raise ProtocolError(f"session input header length {header_length}")
    return InputHeader(target, seq, width, height, capture_time), view[header_length:]


def encode_input(header: InputHeader, jpeg: bytes | bytearray | memoryview) -> bytes:
    """Builds a session input message, as the server does (for tests and tools)."""
    head = _INPUT_HEADER.pack(
        INPUT_TYPE, 1, INPUT_HEADER_BYTES, header.target, header.seq, header.width, header.height, header.capture_time
    )
    return head + bytes(jpeg)


def _target(msg: Mapping[str, Any], kind: str) -> int:
    target = msg.get("target")
    if not isinstance(target, int) or isinstance(target, bool) or not 1 <= target <= 0xFFFFFFFF:
        raise ProtocolError(f"{kind}.target must be an integer in [1, 2**32), got {target!r}")
    return target


def parse_server_message(text: str | bytes) -> Dict[str, Any]:
    """Parses a server → producer message (``welcome``, ``credit``, ``demand``, ``error``,
    and for a producer serving sessions ``sessionStart``, ``sessionParams``, ``sessionEnd``).

    Raises :class:`ProtocolError` for anything else, so a version mismatch
    shows at once instead of being ignored.
    """
    if isinstance(text, (bytes, bytearray, memoryview)):
        raise ProtocolError("the server sent a binary message; v1 servers send only JSON text")
    try:
        msg = json.loads(text)
    except ValueError:
        raise ProtocolError("server message is not valid JSON") from None
    if not isinstance(msg, dict):
        raise ProtocolError("server message must be a JSON object")
    kind = msg.get("type")
    if kind == "welcome":
        credits = msg.get("credits")
        if not isinstance(credits, int) or isinstance(credits, bool) or credits < 1:
            raise ProtocolError(f"welcome.credits must be a positive integer, got {credits!r}")
        if msg.get("version") != PROTOCOL_VERSION:
            raise ProtocolError(f"welcome.version is {msg.get('version')!r}, this library speaks {PROTOCOL_VERSION}")
    elif kind == "credit":
        n = msg.get("n")
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise ProtocolError(f"credit.n must be a non-negative integer, got {n!r}")
        if "target" in msg:
            _target(msg, "credit")
    elif kind == "demand":
        if not isinstance(msg.get("watching"), bool):
            raise ProtocolError("demand.watching must be a boolean")
    elif kind == "error":
        pass
    elif kind in ("sessionStart", "sessionParams", "sessionEnd"):
        _target(msg, kind)
        if kind == "sessionStart" and not isinstance(msg.get("id"), str):
            raise ProtocolError("sessionStart.id must be a string")
        if kind != "sessionEnd" and not isinstance(msg.get("params", {}), dict):
            raise ProtocolError(f"{kind}.params must be an object")
    else:
        raise ProtocolError(f"unknown server message type {json.dumps(kind)[:64]}")
    return msg


def read_jpeg_size(data: bytes | bytearray | memoryview) -> Optional[tuple[int, int]]:
    """``(width, height)`` from a JPEG's start-of-frame marker, or ``None``.

    Walks the marker segments without decoding, like ``readJpegSize`` in
    ``src/protocol/jpeg.ts``.
    """
    b = memoryview(data).cast("B")
    n = len(b)
    if n < 4 or b[0] != 0xFF or b[1] != 0xD8:
        return None
    i = 2
    while i + 4 <= n:
        if b[i] != 0xFF:
            return None
        marker = b[i + 1]
        if marker == 0xFF:
            i += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:
            i += 2
            continue
        if marker in (0xDA, 0xD9):
            return None
        length = (b[i + 2] << 8) | b[i + 3]
        if length < 2:
            return None
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            if i + 9 > n:
                return None
            height = (b[i + 5] << 8) | b[i + 6]
            width = (b[i + 7] << 8) | b[i + 8]
            return (width, height) if width and height else None
        i += 2 + length
    return None


def looks_like_jpeg(data: bytes | bytearray | memoryview) -> bool:
    """True when the bytes start with SOI and end with EOI, as the server checks."""
    b = memoryview(data).cast("B")
    n = len(b)
    return n >= 4 and b[0] == 0xFF and b[1] == 0xD8 and b[2] == 0xFF and b[n - 2] == 0xFF and b[n - 1] == 0xD9
