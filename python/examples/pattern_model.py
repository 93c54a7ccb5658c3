#!/usr/bin/env python3
"""A stand-in for a real model: streams a moving pattern to framestream.

    npm start                                   # one shell: the playground on :8080
    python3 python/examples/pattern_model.py    # another: this "model"

then open http://localhost:8080, pick the "Producer" source and click Connect.
Each frame is a 512x512 float32 HxWx3 array in [0, 1], as a torch model's
output would be after ``.permute(1, 2, 0).cpu().numpy()``; the time spent
making it is sent as ``inferenceMs`` and shown by the playground's Controls.

Options: --url and --token (or FRAMESTREAM_URL / FRAMESTREAM_TOKEN),
--fps, --size. It pauses while nobody watches.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import sys
import time
from pathlib import Path

import numpy as np

# Run from a checkout without installing the package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from framestream_producer import Producer, ProducerError  # noqa: E402

DEFAULT_URL = "ws://localhost:8080/ingest/producer"
DEFAULT_TOKEN = "playground"


class Pattern:
    """Moving colour bands and a circle orbiting the centre: obviously alive at any frame rate."""

    def __init__(self, size: int) -> None:
        axis = np.linspace(-1.0, 1.0, size, dtype=np.float32)
        self.x, self.y = np.meshgrid(axis, axis)
        self.radius = np.hypot(self.x, self.y)
        self.angle = np.arctan2(self.y, self.x)
        self.out = np.empty((size, size, 3), np.float32)

    def __call__(self, t: float) -> np.ndarray:
        swirl = self.angle * 3 + self.radius * 8 - t * 2
        self.out[..., 0] = 0.5 + 0.5 * np.sin(swirl)
        self.out[..., 1] = 0.5 + 0.5 * np.sin(swirl + 2.1 + self.x * 2)
        self.out[..., 2] = 0.5 + 0.5 * np.sin(swirl + 4.2 - self.y * 2)
        cx, cy = 0.5 * math.cos(t), 0.5 * math.sin(t)
        dot = (self.x - cx) ** 2 + (self.y - cy) ** 2 < 0.02
        self.out[dot] = 1.0
        return self.out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=os.environ.get("FRAMESTREAM_URL", DEFAULT_URL), help="ingest endpoint (%(default)s)")
    parser.add_argument("--token", default=os.environ.get("FRAMESTREAM_TOKEN", DEFAULT_TOKEN), help="producer token")
    parser.add_argument("--fps", type=float, default=30.0, help="target frames per second (%(default)s)")
    parser.add_argument("--size", type=int, default=512, help="frame width and height in pixels (%(default)s)")
    parser.add_argument("--frames", type=int, default=0, help="stop after this many frames (0: run until Ctrl-C)")
    args = parser.parse_args()
    if not args.fps > 0:
        parser.error("--fps must be > 0")
    # Warnings only: the producer says once when it cannot connect, not on every retry.
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(message)s")

    pattern = Pattern(args.size)
    producer = Producer(args.url, args.token, on_watching=lambda w: print("streaming" if w else "nobody watches"))
    print(f"streaming {args.size}x{args.size} float32 at {args.fps:g} FPS to {args.url} (Ctrl-C stops)")
    period = 1.0 / args.fps
    start = next_frame = time.perf_counter()
    sent = 0
    paused = False
    try:
        try:
            producer.wait_ready(timeout=2.0)  # a wrong token fails here, with the server's word for it
        except TimeoutError:
            pass  # not up yet: the producer keeps trying in the background
        while args.frames == 0 or sent < args.frames:
            if not producer.watching:
                # Nobody watches (or the server is away): a real model would
                # save its GPU here. Check now and then so Ctrl-C still works.
                if not paused:
                    paused = True
                    print("paused: waiting for", "a viewer" if producer.connected else f"the server at {args.url}")
                if not producer.wait_watching(timeout=1.0):
                    if producer.failure:
                        raise producer.failure
                    continue
                paused = False
                next_frame = time.perf_counter()
            t0 = time.perf_counter()
            frame = pattern(t0 - start)
            inference_ms = (time.perf_counter() - t0) * 1000
            producer.send(frame, inference_ms=inference_ms)
            sent += 1
            next_frame += period
            delay = next_frame - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            else:
                next_frame = time.perf_counter()  # fell behind: do not try to catch up in a burst
        try:
            producer.flush(timeout=5)  # --frames: let the last one reach the server
        except TimeoutError:
            pass
    except ProducerError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    finally:
        producer.close()
        s = producer.stats
        print(f"sent {s.frames_sent} frames, {s.frames_replaced} replaced by newer ones before a credit came back")
    return 0


if __name__ == "__main__":
    sys.exit(main())
