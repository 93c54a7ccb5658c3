"""Serving a stream's viewer sessions, against framestream's real server (server_fixture.mjs, /ws/live/)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, List, Tuple

import pytest

from framestream_producer import AsyncProducer, Backoff, Producer, ProducerError, ProducerSession, SessionInput
from framestream_producer.protocol import InputHeader, decode_input, encode_input
from framestream_producer.sessions import SessionBook
from support import TOKEN, ServerProcess, Viewer, make_jpeg, run, until

FAST = Backoff(initial=0.05, maximum=0.5, busy=0.3)
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "session_filter.py"


async def active(viewer: Viewer) -> str:
    await until(lambda: (viewer.session() or {}).get("state") == "active", "an active session")
    return str(viewer.session()["id"])  # type: ignore[index]


class TestSessionBook:
    def test_keeps_each_sessions_newest_frame_and_spends_its_own_credits(self) -> None:
        book = SessionBook()
        book.granted = 1
        a = book.start({"target": 1, "id": "a", "params": {}})
        book.start({"target": 2, "id": "b", "params": {}})
        assert book.offer(1, bytearray(b"a1")) and book.offer(1, bytearray(b"a2")) and book.offer(2, bytearray(b"b1"))
        assert not book.offer(9, bytearray(b"x"))  # not a session here
        assert book.take() == (1, bytearray(b"a2"))  # the newest; a1 was replaced
        assert book.take() == (2, bytearray(b"b1"))
        book.offer(1, bytearray(b"a3"))
        assert book.take() is None  # session 1 has no credit in hand
        book.credit(1, 1)
        assert book.take() == (1, bytearray(b"a3"))
        assert book.frames_replaced == 1
        assert book.end(1) is a and book.offer(1, bytearray(b"late")) is False

    def test_hands_out_inputs_newest_per_session_longest_waiting_first(self) -> None:
        book = SessionBook()
        for t in (1, 2):
            book.start({"target": t, "id": str(t)})
        header = lambda t, seq: InputHeader(t, seq, 8, 8, 0.0)  # noqa: E731
        book.input(header(1, 1), b"1")
        book.input(header(2, 1), b"2")
        book.input(header(1, 2), b"1'")
        got = [(s.target, i.seq) for s, i in iter(book.next_input, None)]
        assert got == [(2, 1), (1, 2)]
        assert book.inputs_replaced == 1
        assert book.input(header(7, 1), b"?") is None

    def test_reads_an_input_message_as_the_server_writes_it(self) -> None:
        message = encode_input(InputHeader(5, 42, 640, 480, 1.5e12), b"\xff\xd8jpeg\xff\xd9")
        header, jpeg = decode_input(message)
        assert header == InputHeader(5, 42, 640, 480, 1.5e12)
        assert bytes(jpeg) == b"\xff\xd8jpeg\xff\xd9"


class TestServingSessions:
    def test_hears_start_params_and_input_and_answers_that_viewer_alone(self, server: ServerProcess) -> None:
        red = make_jpeg(server, 32, 24, (230, 20, 20))
        blue = make_jpeg(server, 32, 24, (20, 20, 230))
        events: List[str] = []

        async def main() -> None:
            producer = AsyncProducer(
                server.live_ingest_url, TOKEN, sessions=True, backoff=FAST,
                on_session_start=lambda s: events.append(f"start {s.id}"),
                on_session_params=lambda s, p: events.append(f"params {s.id} {p}"),
                on_session_end=lambda s, reason: events.append(f"end {s.id} {reason}"),
            )
            async with producer, Viewer(server.live_viewer_url) as alice, Viewer(server.live_viewer_url) as bob:
                await producer.wait_ready(10)
                alice_id, bob_id = await active(alice), await active(bob)
                await until(lambda: len(producer.sessions) == 2, "two sessions")
                await alice.send_params({"filter": "invert"})
                await until(lambda: any(e.startswith("params") for e in events), "the params")
                await alice.send_input(7, red)
                got = await producer.next_input(10)
                assert got is not None
                session, frame = got
                assert session.id == alice_id and session.params == {"filter": "invert"}
                assert (frame.seq, frame.width, frame.height, frame.capture_time) == (7, 32, 24, 1_700_000_000_000.0)
                assert frame.jpeg == red  # the viewer's bytes, not re-encoded
                assert session.viewer is not None  # the fixture's sessionInfo shares the viewer's id
                assert await producer.send_to(session, blue, inference_ms=3.5, input_seq=frame.seq)
                await until(lambda: len(alice.frames) == 1, "alice's answer")
                assert alice.frames[0].jpeg == blue
                assert alice.frames[0].metrics["inputSeq"] == 7 and alice.frames[0].metrics["inferenceMs"] == 3.5
                await asyncio.sleep(0.1)
                assert bob.frames == []
            assert events[:3] == [f"start {alice_id}", f"start {bob_id}", f"params {alice_id} {{'filter': 'invert'}}"]

        run(main())

    def test_hears_of_a_session_ending(self, server: ServerProcess) -> None:
        ended: List[Tuple[str, str]] = []

        async def main() -> None:
            async with AsyncProducer(server.live_ingest_url, TOKEN, sessions=True, on_session_end=lambda s, r: ended.append((s.id, r))) as producer:
                await producer.wait_ready(10)
                async with Viewer(server.live_viewer_url) as viewer:
                    session_id = await active(viewer)
                    await until(lambda: len(producer.sessions) == 1, "the session")
                await until(lambda: len(ended) == 1, "the end")
                assert ended == [(session_id, "The viewer left")]
                assert await producer.send_to(1 << 31, b"\xff\xd8\xff\xd9") is False

        run(main())

    def test_ends_a_session_with_a_reason_its_viewer_is_told(self, server: ServerProcess) -> None:
        ended: List[str] = []

        async def main() -> None:
            async with AsyncProducer(server.live_ingest_url, TOKEN, sessions=True, on_session_end=lambda s, r: ended.append(r)) as producer:
                await producer.wait_ready(10)
                async with Viewer(server.live_viewer_url) as viewer:
                    await active(viewer)
                    await until(lambda: len(producer.sessions) == 1, "the session")
                    (session,) = producer.sessions.values()
                    assert await producer.end_session(session, "Out of GPU memory")
                    await until(lambda: (viewer.session() or {}).get("state") == "ended", "the viewer told")
                    assert viewer.session() == {"type": "session", "state": "ended", "reason": "Out of GPU memory"}
                    await until(lambda: ended == ["Out of GPU memory"], "on_session_end")
                    assert await producer.end_session(session) is False

        run(main())

    def test_a_producer_that_did_not_ask_is_refused_for_good_saying_how(self, server: ServerProcess) -> None:
        errors: List[ProducerError] = []

        async def main() -> None:
            async with AsyncProducer(server.live_ingest_url, TOKEN, backoff=FAST, on_error=errors.append) as producer:
                with pytest.raises(ProducerError) as caught:
                    await producer.wait_ready(10)
                assert caught.value.reason == "sessions-required" and caught.value.fatal
                assert "sessions=True" in str(caught.value) or any("sessions=1" in str(e) for e in errors)

        run(main())

    def test_the_blocking_producer_serves_sessions_from_a_model_loop(self, server: ServerProcess) -> None:
        green = make_jpeg(server, 16, 16, (20, 220, 20))

        async def viewer_side(producer: Producer, done: threading.Event) -> None:
            async with Viewer(server.live_viewer_url) as viewer:
                await active(viewer)
                await until(lambda: len(producer.sessions) == 1, "the session")
                await viewer.send_input(3, green)
                await until(lambda: len(viewer.frames) == 1, "the answer")
                assert viewer.frames[0].metrics["inputSeq"] == 3
                done.set()

        with Producer(server.live_ingest_url, TOKEN, sessions=True) as producer:
            producer.wait_ready(10)
            done = threading.Event()
            thread = threading.Thread(target=lambda: run(viewer_side(producer, done)))
            thread.start()
            got = producer.next_input(timeout=10)
            assert got is not None
            session, frame = got
            assert isinstance(session, ProducerSession) and isinstance(frame, SessionInput)
            assert producer.send_to(session, frame.jpeg, input_seq=frame.seq)
            thread.join(20)
            assert done.is_set()


class TestSessionFilterExample:
    def test_inverts_each_viewers_camera_and_sends_it_back(self, server: ServerProcess) -> None:
        pytest.importorskip("numpy")
        pytest.importorskip("PIL")
        red = make_jpeg(server, 48, 32, (230, 20, 20))
        example = subprocess.Popen(
            [sys.executable, str(EXAMPLE), "--url", server.live_ingest_url, "--token", TOKEN, "--inputs", "1"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        )

        async def main() -> Any:
            async with Viewer(server.live_viewer_url) as viewer:
                await active(viewer)
                # Sent until the example is connected and has answered one.
                seq = 0
                while not viewer.frames:
                    seq += 1
                    await viewer.send_input(seq, red)
                    await asyncio.sleep(0.2)
                    assert example.poll() is None or viewer.frames, "the example exited early"
                return viewer.frames[0]

        try:
            frame = run(asyncio.wait_for(main(), 30))
            output, _ = example.communicate(timeout=20)
        finally:
            if example.poll() is None:
                example.kill()
        assert example.returncode == 0, output
        assert b"answered 1 input frames" in output
        info = server.jpeg_info(frame.jpeg)
        assert (info["width"], info["height"]) == (48, 32)
        r, g, b = info["mean"][:3]
        assert r < 60 and g > 200 and b > 200, info["mean"]  # red, inverted: cyan
        assert "inputSeq" in frame.metrics
