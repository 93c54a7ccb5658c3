"""The producer against framestream's real server, over loopback (server_fixture.mjs)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import List

import pytest

from framestream_producer import AsyncProducer, Backoff, Producer, ProducerError
from framestream_producer.protocol import read_jpeg_size
from framestream_producer.frames import encode
from support import TOKEN, ServerProcess, Viewer, make_jpeg, run, until

np = pytest.importorskip("numpy")

FAST = Backoff(initial=0.05, maximum=0.5, busy=0.3)


def close_to(actual: List[float], expected: List[float], tolerance: float = 6) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected))


class TestFrames:
    def test_a_jpeg_arrives_at_a_viewer_byte_for_byte(self, server: ServerProcess) -> None:
        jpeg = make_jpeg(server, 80, 48, (10, 120, 240))

        async def main() -> None:
            async with Viewer(server.viewer_url) as viewer, AsyncProducer(server.ingest_url, TOKEN) as producer:
                await producer.wait_ready(10)
                await producer.send(jpeg)
                await until(lambda: any(f.jpeg == jpeg for f in viewer.frames), "the JPEG at the viewer")
                frame = next(f for f in viewer.frames if f.jpeg == jpeg)
                assert (frame.width, frame.height) == (80, 48)

        run(main())

    def test_a_uint8_array_arrives_as_a_jpeg_of_its_size_and_colour(self, server: ServerProcess) -> None:
        image = np.empty((64, 96, 3), np.uint8)
        image[:] = (200, 40, 10)

        async def main() -> None:
            async with Viewer(server.viewer_url) as viewer, AsyncProducer(server.ingest_url, TOKEN) as producer:
                await producer.send(image)
                await until(lambda: any(f.width == 96 for f in viewer.frames), "the uint8 frame at the viewer")
                frame = next(f for f in viewer.frames if f.width == 96)
                assert read_jpeg_size(frame.jpeg) == (96, 64)
                info = server.jpeg_info(frame.jpeg)
                assert (info["format"], info["width"], info["height"]) == ("jpeg", 96, 64)
                assert close_to(info["mean"][:3], [200, 40, 10]), info["mean"]

        run(main())

    def test_a_float32_array_arrives_scaled_from_0_1_to_0_255(self, server: ServerProcess) -> None:
        image = np.empty((512, 512, 3), np.float32)
        image[:] = (0.2, 0.6, 0.9)

        async def main() -> None:
            async with Viewer(server.viewer_url) as viewer, AsyncProducer(server.ingest_url, TOKEN) as producer:
                await producer.send(image)
                await until(lambda: any(f.width == 512 for f in viewer.frames), "the float32 frame at the viewer")
                frame = next(f for f in viewer.frames if f.width == 512)
                assert read_jpeg_size(frame.jpeg) == (512, 512)
                assert close_to(server.jpeg_info(frame.jpeg)["mean"][:3], [51, 153, 229.5]), server.jpeg_info(frame.jpeg)

        run(main())

    def test_a_grey_hxw_array_arrives_grey(self, server: ServerProcess) -> None:
        image = np.full((30, 40), 90, np.uint8)

        async def main() -> None:
            async with Viewer(server.viewer_url) as viewer, AsyncProducer(server.ingest_url, TOKEN) as producer:
                await producer.send(image)
                await until(lambda: any(f.width == 40 for f in viewer.frames), "the grey frame at the viewer")
                frame = next(f for f in viewer.frames if f.width == 40)
                mean = server.jpeg_info(frame.jpeg)["mean"]
                assert close_to(mean, [90] * len(mean)), mean

        run(main())

    def test_metrics_arrive_in_the_frame_header(self, server: ServerProcess) -> None:
        async def main() -> None:
            async with Viewer(server.viewer_url) as viewer, AsyncProducer(server.ingest_url, TOKEN) as producer:
                await producer.send(np.zeros((8, 8, 3), np.uint8), inference_ms=41.5, denoise_steps=4)
                await until(lambda: any(f.width == 8 for f in viewer.frames), "the frame with metrics")
                metrics = next(f for f in viewer.frames if f.width == 8).metrics
                assert metrics["inferenceMs"] == 41.5
                assert metrics["denoiseSteps"] == 4

        run(main())

    def test_the_typescript_decoder_reads_what_the_python_encoder_writes(self, server: ServerProcess) -> None:
        message = encode(np.full((3, 5, 4), 0.25, np.float32), {"inferenceMs": 7.25})
        decoded = server.decode_producer_frame(message)
        assert decoded["header"] == {
            "format": "float32", "target": 0, "width": 5, "height": 3, "channels": 4, "frameId": 0,
            "metrics": {"inferenceMs": 7.25},
        }
        assert decoded["payloadBytes"] == 3 * 5 * 4 * 4


class TestRefusals:
    def test_a_wrong_token_is_named_and_not_retried(self, server: ServerProcess) -> None:
        errors: List[ProducerError] = []
        before = server.stats()["upgrades"].get("/ingest/model", 0)

        async def main() -> None:
            producer = AsyncProducer(server.ingest_url, "not-the-token", on_error=errors.append, backoff=FAST)
            with pytest.raises(ProducerError) as raised:
                await producer.wait_ready(10)
            err = raised.value
            assert (err.code, err.reason, err.fatal) == ("ERR_PRODUCER_REFUSED", "unauthorized", True)
            assert "token" in str(err)
            assert producer.state == "failed"
            with pytest.raises(ProducerError, match="token"):
                await producer.send(np.zeros((2, 2), np.uint8))
            # FAST would have retried several times by now; a refused token must not be.
            await asyncio.sleep(1)
            await producer.close()

        run(main())
        assert [e.reason for e in errors] == ["unauthorized"]
        assert server.stats()["upgrades"]["/ingest/model"] - before == 1

    def test_a_second_producer_is_told_busy_retries_slowly_and_takes_over_later(self, server: ServerProcess) -> None:
        errors: List[ProducerError] = []

        async def main() -> None:
            async with Viewer(server.viewer_url) as viewer:
                first = AsyncProducer(server.ingest_url, TOKEN)
                await first.wait_ready(10)
                before = server.stats()["upgrades"]["/ingest/model"]
                second = AsyncProducer(server.ingest_url, TOKEN, on_error=errors.append, backoff=FAST)
                await second.start()
                await until(lambda: len(errors) > 0, "the busy refusal")
                assert (errors[0].code, errors[0].reason, errors[0].close_code) == ("ERR_PRODUCER_BUSY", "busy", 4409)
                await asyncio.sleep(1.5)
                tries = server.stats()["upgrades"]["/ingest/model"] - before
                # busy=0.3 s (jittered down to 0.225 s at most): at most about 7 tries in 1.5 s, not a storm.
                assert 2 <= tries <= 8, tries
                assert len(errors) == 1, "busy is reported once per outage, not once per try"
                await first.close()
                await second.wait_ready(10)
                await second.send(np.full((6, 6, 3), 255, np.uint8))
                await until(lambda: any(f.width == 6 for f in viewer.frames), "the second producer's frame")
                await second.close()

        run(main())


class TestReplace:
    def test_a_replaced_producer_stops_instead_of_taking_the_stream_back(self, server: ServerProcess) -> None:
        url = server.ingest_url.replace("/ingest/model", "/ingest/replace")
        errors: List[ProducerError] = []

        async def main() -> None:
            async with Viewer(server.viewer_url.replace("/ws/model/", "/ws/replace/")) as viewer:
                old = AsyncProducer(url, TOKEN, on_error=errors.append, backoff=FAST)
                await old.wait_ready(10)
                before = server.stats()["upgrades"]["/ingest/replace"]
                async with AsyncProducer(url, TOKEN, backoff=FAST) as new:
                    await new.wait_ready(10)
                    await until(lambda: old.state == "failed", "the older producer to stop")
                    assert old.failure is not None
                    assert (old.failure.reason, old.failure.close_code, old.failure.fatal) == ("replaced", 4410, True)
                    with pytest.raises(ProducerError, match="replaced"):
                        await old.send(np.zeros((2, 2), np.uint8))
                    await asyncio.sleep(0.5)  # FAST would have retried by now
                    assert server.stats()["upgrades"]["/ingest/replace"] - before == 1
                    await new.send(np.zeros((10, 12, 3), np.uint8))
                    await until(lambda: any(f.width == 12 for f in viewer.frames), "the newer producer's frame")
                    assert new.connected
                await old.close()

        run(main())
        assert [e.reason for e in errors] == ["replaced"]


class TestFlowControl:
    def test_a_fast_producer_never_has_more_than_credits_in_flight_and_the_last_frame_wins(self, server: ServerProcess) -> None:
        async def main() -> None:
            async with Viewer(server.viewer_url) as viewer:
                producer = Producer(server.proxy_url, TOKEN)  # the blocking client, from a thread
                try:
                    await asyncio.to_thread(producer.wait_ready, 10)
                    before = server.stats()["proxy"]

                    def model() -> None:
                        # A model faster than the stream: ~2 ms a frame, each frame
                        # 0.75 MB of float32 for the server to encode.
                        frame = np.zeros((256, 256, 3), np.float32)
                        for i in range(200):
                            frame[:] = i / 200
                            producer.send(frame, step=i)
                            time.sleep(0.002)
                        producer.flush(20)

                    t0 = time.monotonic()
                    await asyncio.to_thread(model)
                    stats, proxy = producer.stats, server.stats()["proxy"]
                    assert proxy["framesForwarded"] - before["framesForwarded"] == stats.frames_sent
                    assert proxy["maxInFlight"] <= server.credits, proxy
                    assert stats.max_in_flight <= server.credits
                    assert stats.frames_sent + stats.frames_replaced == 200
                    assert stats.frames_replaced > 0, "200 frames in a tight loop outran the stream"
                    assert stats.frames_sent > server.credits + 1, "credits came back while the model ran"
                    await until(lambda: any(f.metrics.get("step") == 199 for f in viewer.frames), "the last frame")
                    assert viewer.frames[-1].metrics["step"] == 199
                    assert time.monotonic() - t0 < 20
                finally:
                    await asyncio.to_thread(producer.close)

        run(main())

    def test_send_returns_at_once_while_no_credit_is_left(self, server: ServerProcess) -> None:
        # Full-size float32 frames, as fast as a loop can make them: whatever the
        # credits say, send() copies the frame and returns; it never waits on the socket.
        producer = Producer(server.ingest_url, TOKEN)
        try:
            producer.wait_ready(10)
            frame = np.zeros((512, 512, 3), np.float32)
            t0 = time.monotonic()
            for _ in range(50):
                producer.send(frame)
            per_send = (time.monotonic() - t0) / 50
            assert per_send < 0.1, per_send  # a copy of 3 MB, never a network wait
        finally:
            producer.close()


class TestWatching:
    def test_watching_follows_the_viewers(self, server: ServerProcess) -> None:
        seen: List[bool] = []

        async def main() -> None:
            producer = AsyncProducer(server.ingest_url, TOKEN, on_watching=seen.append)
            await producer.wait_ready(10)
            assert producer.watching is False
            async with Viewer(server.viewer_url):
                assert await producer.wait_watching(10)
            await until(lambda: not producer.watching, "watching false after the viewer left")
            await producer.close()

        run(main())
        assert seen[:2] == [True, False]


class TestReconnect:
    @pytest.mark.parametrize("how", ["killed", "shut down"])
    def test_the_producer_resumes_after_the_server_restarts(self, how: str) -> None:
        first = ServerProcess()
        port = first.port
        errors: List[ProducerError] = []
        producer = Producer(first.ingest_url, TOKEN, backoff=FAST, on_error=errors.append)
        stop = threading.Event()
        sent = [0]

        def model() -> None:
            frame = np.zeros((32, 32, 3), np.uint8)
            while not stop.is_set():
                sent[0] += 1
                producer.send(frame, step=sent[0])
                time.sleep(0.02)

        thread = threading.Thread(target=model)
        second = None
        try:
            producer.wait_ready(10)
            thread.start()

            async def watch(server: ServerProcess, after: int) -> int:
                async with Viewer(server.viewer_url) as viewer:
                    await until(lambda: any(f.metrics.get("step", 0) > after for f in viewer.frames), "frames")
                    return int(max(f.metrics["step"] for f in viewer.frames))

            before = run(watch(first, 0))
            if how == "killed":
                first.kill()  # the connection just drops
            else:
                first.stop()  # the server closes it with 1001
            second = ServerProcess(port=port)
            after = run(watch(second, before))
            assert after > before
            assert producer.stats.connections == 2
            assert producer.state == "connected"
        finally:
            stop.set()
            if thread.is_alive():
                thread.join()
            producer.close()
            first.stop()
            if second is not None:
                second.stop()


EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "pattern_model.py"


class TestExample:
    def test_pattern_model_streams_512_by_512_frames_with_inference_ms(self, server: ServerProcess) -> None:

        async def main() -> None:
            async with Viewer(server.viewer_url) as viewer:
                proc = await asyncio.create_subprocess_exec(
                    sys.executable, str(EXAMPLE), "--url", server.ingest_url, "--token", TOKEN, "--frames", "20", "--fps", "60",
                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                )
                out, _ = await asyncio.wait_for(proc.communicate(), 60)
                assert proc.returncode == 0, out.decode()
                # (A new viewer first gets the stream's last frame, from an earlier test.)
                await until(lambda: any("inferenceMs" in f.metrics for f in viewer.frames), "the pattern at the viewer")
                pattern = [f for f in viewer.frames if "inferenceMs" in f.metrics]
                assert (pattern[-1].width, pattern[-1].height) == (512, 512)
                assert pattern[-1].metrics["inferenceMs"] > 0

        run(main())

    def test_pattern_model_names_a_wrong_token_and_exits_1(self, server: ServerProcess) -> None:
        env = {**os.environ, "FRAMESTREAM_URL": server.ingest_url, "FRAMESTREAM_TOKEN": "wrong"}
        done = subprocess.run([sys.executable, str(EXAMPLE), "--frames", "5"], env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 1
        assert "refused the producer's token" in done.stderr


class TestRefusedFrames:
    def test_a_frame_the_server_refuses_is_reported_and_the_retries_back_off(self, server: ServerProcess) -> None:
        errors: List[ProducerError] = []

        async def main() -> None:
            # 9000 px is over the server's maxFrameWidth (8192), which welcome does not tell.
            wide = np.zeros((1, 9000), np.uint8)
            producer = AsyncProducer(server.ingest_url, TOKEN, on_error=errors.append, backoff=Backoff(initial=0.2, maximum=5))
            await producer.wait_ready(10)
            before = server.stats()["upgrades"]["/ingest/model"]
            for _ in range(30):  # a model that keeps making the same bad frame for 1.5 s
                await producer.send(wide)
                await asyncio.sleep(0.05)
            tries = server.stats()["upgrades"]["/ingest/model"] - before
            await producer.close()
            # 0.2, 0.4, 0.8 s (each jittered down by up to half): a handful, not one per frame.
            assert 1 <= tries <= 6, tries

        run(main())
        # One error for the server's `error` message and the 4400 after it, in the server's code and words.
        assert errors and (errors[0].code, errors[0].reason, errors[0].close_code) == ("ERR_INVALID_FRAME", "protocol", 4400)
        assert "8192" in str(errors[0])
        assert len(errors) == 1, "reported once per outage"


class TestOptionalImports:
    def test_a_pil_image_arrives_as_a_jpeg_of_its_size_and_colour(self, server: ServerProcess) -> None:
        Image = pytest.importorskip("PIL.Image")
        image = Image.new("RGB", (70, 30), (20, 200, 90))
        palette = Image.new("P", (70, 30))  # converted to RGB on the way

        async def main() -> None:
            async with Viewer(server.viewer_url) as viewer, AsyncProducer(server.ingest_url, TOKEN) as producer:
                await producer.send(image)
                await until(lambda: any(f.width == 70 for f in viewer.frames), "the PIL frame at the viewer")
                frame = next(f for f in viewer.frames if f.width == 70)
                assert read_jpeg_size(frame.jpeg) == (70, 30)
                assert close_to(server.jpeg_info(frame.jpeg)["mean"][:3], [20, 200, 90])
                await producer.flush(10)
                await producer.send(palette)
                await producer.flush(10)

        run(main())

    def test_jpeg_frames_need_neither_numpy_nor_pil(self, server: ServerProcess) -> None:
        jpeg = make_jpeg(server, 16, 16, (0, 0, 0))
        script = f"""
import sys
sys.modules["numpy"] = None      # importing them now raises ImportError
sys.modules["PIL"] = None
sys.path.insert(0, {str(Path(__file__).resolve().parents[1])!r})
from framestream_producer import Producer
with Producer({server.ingest_url!r}, {TOKEN!r}) as producer:
    producer.wait_ready(10)
    producer.send({jpeg!r}, inference_ms=1)
    producer.flush(10)
    try:
        producer.send([[0, 0], [0, 0]])
    except TypeError as err:
        print(err)
"""
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert "install numpy for arrays" in done.stdout
