"""The ingest figure's Python producer: 512x512x3 float32 frames at 30 FPS
through ``framestream_producer.Producer`` (python/ in this repository), for a
bounded time, then a one-line JSON summary on stdout.

Run by bench/figures/ingest.mjs as
``python3 ingest_producer.py <url> <token> <seconds> <fps> <width> <height>``.
Each frame carries metrics ``id`` and ``sentAt`` (wall clock ms at send()),
like the Node producer's, so the figure can count what arrived.
"""

import json
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "python"))

import numpy as np  # noqa: E402
from framestream_producer import Producer  # noqa: E402


def main() -> None:
    url, token = sys.argv[1], sys.argv[2]
    seconds, fps = float(sys.argv[3]), float(sys.argv[4])
    width, height = int(sys.argv[5]), int(sys.argv[6])
    rng = np.random.default_rng(1)
    # Made once and cycled: the cost measured is sending, not making pixels.
    frames = [rng.random((height, width, 3), dtype=np.float32) for _ in range(4)]
    interval = 1.0 / fps
    with Producer(url, token) as producer:
        producer.wait_ready(10)
        print(json.dumps({"ready": True}), flush=True)
        start = time.perf_counter()
        deadline = start
        sent = 0
        while time.perf_counter() - start < seconds:
            producer.send(frames[sent % len(frames)], id=sent, sent_at=time.time() * 1000)
            sent += 1
            deadline += interval
            now = time.perf_counter()
            if deadline < now - interval:  # more than a frame behind: skip, do not burst
                deadline = now
            time.sleep(max(0.0, deadline - now))
        elapsed = time.perf_counter() - start
        stats = producer.stats
        print(
            json.dumps(
                {
                    "offered": sent,
                    "seconds": elapsed,
                    "framesSent": stats.frames_sent,
                    "framesReplaced": stats.frames_replaced,
                    "maxInFlight": stats.max_in_flight,
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
