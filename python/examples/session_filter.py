#!/usr/bin/env python3
"""Serves a stream's viewer sessions: each viewer's camera, filtered, back to that viewer.

The StreamDiffusion shape in miniature: the web server (Node) runs a stream
created with ``session: 'producer'``; this process is the model worker. Each
viewer that connects gets a session; its camera frames arrive here as the
JPEGs its browser encoded, are decoded with PIL, filtered with numpy and
sent back to that session alone, naming the input they answer.

    FRAMESTREAM_IMG2IMG=producer npm start       # one shell: the playground, img2img served by a producer
    python3 python/examples/session_filter.py    # another: this worker

then open http://localhost:8080/?view=img2img and click Connect: the
camera (or the page's pattern) comes back inverted. Against your own
server, pass its ingest endpoint and token with --url and --token.

Filters (the viewer may pick one with the ``filter`` param): ``invert``
(default), ``edges``, ``grey``. Needs numpy and PIL (Debian: python3-numpy
python3-pil; pip: numpy pillow); without PIL it says so and stops, since it
cannot decode the viewers' JPEGs.

Options: --url and --token (or FRAMESTREAM_URL / FRAMESTREAM_TOKEN), and
--inputs N to stop after answering N input frames (0: run until Ctrl-C).
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict

# Run from a checkout without installing the package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from framestream_producer import Producer, ProducerError, ProducerSession  # noqa: E402

DEFAULT_URL = "ws://localhost:8080/ingest/img2img"
DEFAULT_TOKEN = "playground"

try:
    import numpy as np
    from PIL import Image
except ImportError as missing:  # numpy and PIL are this example's, never the package's
    np = None  # type: ignore[assignment]
    MISSING = f"this example needs numpy and PIL to decode and filter the viewers' JPEGs ({missing}); install python3-numpy python3-pil, or pip install numpy pillow"
else:
    MISSING = ""


def invert(rgb: "np.ndarray") -> "np.ndarray":
    return 255 - rgb


def grey(rgb: "np.ndarray") -> "np.ndarray":
    y = (rgb @ np.array([0.299, 0.587, 0.114], np.float32)).astype(np.uint8)
    return np.repeat(y[..., None], 3, axis=2)


def edges(rgb: "np.ndarray") -> "np.ndarray":
    # A Sobel-like gradient magnitude, with numpy alone.
    y = rgb.astype(np.float32).mean(axis=2)
    gx = np.zeros_like(y)
    gy = np.zeros_like(y)
    gx[:, 1:-1] = y[:, 2:] - y[:, :-2]
    gy[1:-1, :] = y[2:, :] - y[:-2, :]
    magnitude = np.clip(np.hypot(gx, gy) * 2, 0, 255).astype(np.uint8)
    return np.repeat(magnitude[..., None], 3, axis=2)


FILTERS: Dict[str, Callable[[Any], Any]] = {"invert": invert, "edges": edges, "grey": grey}


def answer(jpeg: bytes, params: Dict[str, Any]) -> Any:
    """The viewer's JPEG, decoded, filtered as its params say: an HxWx3 uint8 array (the server encodes it)."""
    rgb = np.asarray(Image.open(io.BytesIO(jpeg)).convert("RGB"))
    name = params.get("filter")
    return FILTERS.get(name if isinstance(name, str) else "invert", invert)(rgb)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=os.environ.get("FRAMESTREAM_URL", DEFAULT_URL), help="ingest endpoint (%(default)s)")
    parser.add_argument("--token", default=os.environ.get("FRAMESTREAM_TOKEN", DEFAULT_TOKEN), help="producer token")
    parser.add_argument("--inputs", type=int, default=0, help="stop after answering this many input frames (0: run until Ctrl-C)")
    args = parser.parse_args()
    if MISSING:
        print(f"error: {MISSING}", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(message)s")

    def started(session: ProducerSession) -> None:
        print(f"session {session.id} started (target {session.target}), params {session.params}", flush=True)

    def ended(session: ProducerSession, reason: str) -> None:
        print(f"session {session.id} ended: {reason}", flush=True)

    producer = Producer(args.url, args.token, sessions=True, on_session_start=started, on_session_end=ended)
    print(f"serving sessions from {args.url} (Ctrl-C stops)", flush=True)
    answered = 0
    try:
        try:
            producer.wait_ready(timeout=2.0)  # a wrong token or URL fails here, with the server's word for it
        except TimeoutError:
            pass  # not up yet: the producer keeps trying in the background
        while args.inputs == 0 or answered < args.inputs:
            got = producer.next_input(timeout=1.0)  # each session's newest camera frame, sessions taking turns
            if got is None:
                if producer.failure:
                    raise producer.failure
                continue
            session, frame = got
            t0 = time.perf_counter()
            image = answer(frame.jpeg, session.params)
            producer.send_to(session, image, inference_ms=(time.perf_counter() - t0) * 1000, input_seq=frame.seq)
            answered += 1
        try:
            producer.flush(timeout=5)  # --inputs: let the last answer reach the server
        except TimeoutError:
            pass
    except ProducerError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    finally:
        producer.close()
    print(f"answered {answered} input frames", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
