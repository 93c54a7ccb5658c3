"""Turning what a model has (JPEG bytes, a numpy array, a PIL image) into a frame message.

numpy and PIL are optional: each is imported only to recognise its own
types, and a missing one is never an error unless such a frame is passed.
"""

from __future__ import annotations

import importlib
import re
from typing import Any, Dict, Mapping, Optional

from .protocol import FrameHeader, encode_frame, looks_like_jpeg


def _optional(module: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError:
        return None


_np = _optional("numpy")
_PILImage = _optional("PIL.Image")

_PIL_MODES = {"L": 1, "RGB": 3, "RGBA": 4}
_CAMEL = re.compile(r"_([a-z0-9])")


def metric_name(key: str) -> str:
    """``inference_ms`` → ``inferenceMs``: Python keywords to the wire's camelCase."""
    return _CAMEL.sub(lambda m: m.group(1).upper(), key)


def build_metrics(inference_ms: Optional[float], metrics: Mapping[str, Any]) -> Dict[str, Any]:
    out = {metric_name(k): v for k, v in metrics.items()}
    if inference_ms is not None:
        out["inferenceMs"] = inference_ms
    return out


def encode(frame: Any, metrics: Optional[Mapping[str, Any]] = None) -> bytearray:
    """One frame message for ``frame`` (frame id 0, stamped when it is sent).

    The pixels are copied into the message, so the caller may reuse or
    mutate its array as soon as this returns.

    Raises ``TypeError`` for a frame of a kind this library does not know and
    ``ValueError`` for a shape, dtype or size the protocol cannot carry.
    """
    if isinstance(frame, (bytes, bytearray, memoryview)):
        if not looks_like_jpeg(frame):
            raise ValueError(
                "Expected bytes to be one complete JPEG file (FF D8 FF … FF D9); "
                "pass raw pixels as a numpy array instead"
            )
        return encode_frame(FrameHeader("jpeg", metrics=dict(metrics or {})), frame)
    if _PILImage is not None and isinstance(frame, _PILImage.Image):
        return _encode_pil(frame, metrics)
    if _np is not None and (isinstance(frame, _np.ndarray) or hasattr(frame, "__array__")):
        return _encode_array(frame, metrics)
    kinds = "JPEG bytes"
    kinds += ", a numpy array" if _np is not None else " (install numpy for arrays)"
    kinds += ", a PIL image" if _PILImage is not None else ""
    raise TypeError(f"Expected a frame as {kinds}; got {type(frame).__name__}")


def _encode_pil(image: Any, metrics: Optional[Mapping[str, Any]]) -> bytearray:
    if image.mode not in _PIL_MODES:
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    width, height = image.size
    header = FrameHeader("uint8", width, height, _PIL_MODES[image.mode], metrics=dict(metrics or {}))
    return encode_frame(header, image.tobytes())


def _encode_array(frame: Any, metrics: Optional[Mapping[str, Any]]) -> bytearray:
    assert _np is not None
    arr = _np.asarray(frame)
    if arr.ndim == 2:
        height, width, channels = arr.shape[0], arr.shape[1], 1
    elif arr.ndim == 3 and arr.shape[2] in (1, 3, 4):
        height, width, channels = arr.shape
    else:
        hint = ""
        if arr.ndim == 3 and arr.shape[0] in (1, 3, 4):
            hint = " (channels first? use arr.transpose(1, 2, 0), or tensor.permute(1, 2, 0))"
        raise ValueError(f"Expected an HxW or HxWxC array with C in 1, 3, 4; got shape {arr.shape}{hint}")
    if arr.dtype == _np.uint8:
        fmt = "uint8"
    elif arr.dtype.kind == "f":
        # float16/float64 are common (numpy's default is float64); the wire
        # carries float32 in [0, 1], so convert rather than refuse.
        fmt = "float32"
        arr = arr.astype("<f4", copy=False)
        # The server refuses a frame holding NaN (and closes the connection
        # over it), so say so here, at the call. A finite sum proves there is
        # none at the cost of one pass; only a NaN or infinite sum needs a scan.
        with _np.errstate(invalid="ignore", over="ignore"):
            total = arr.sum(dtype=_np.float64)
        if not _np.isfinite(total) and _np.isnan(arr).any():
            at = tuple(int(i) for i in _np.argwhere(_np.isnan(arr))[0])
            raise ValueError(f"Expected a float frame to hold numbers, got NaN at index {at}")
    else:
        raise ValueError(f"Expected a uint8 (0-255) or floating-point (0-1) array, got dtype {arr.dtype}")
    # A view (a crop, a transposed tensor) becomes one contiguous copy here.
    arr = _np.ascontiguousarray(arr)
    header = FrameHeader(fmt, int(width), int(height), int(channels), metrics=dict(metrics or {}))
    return encode_frame(header, arr.data)
