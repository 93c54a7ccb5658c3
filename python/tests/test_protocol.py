"""The protocol core, with no socket: the byte layout, frames from numpy, flow control, backoff."""

from __future__ import annotations

import json
import struct

import pytest

from framestream_producer import Backoff, FrameHeader, ProducerError, ProtocolError, decode_frame, encode_frame
from framestream_producer.frames import build_metrics, encode, metric_name
from framestream_producer.errors import closed_by_server, refused_by_status
from framestream_producer.policy import FlowControl
from framestream_producer.protocol import parse_server_message, read_jpeg_size

try:
    import numpy as np
except ImportError:  # numpy is optional; only the array tests need it
    np = None  # type: ignore[assignment]

# Produced by src/protocol/producer.ts's encodeProducerFrame (npx tsx) for the
# same inputs: the Python encoder must write the very same bytes.
TS_UINT8 = bytes.fromhex(
    "01022c0000000000020001000300000006000000020100007b22696e666572656e63654d73223a34312e327d010203040506"
)
TS_JPEG = bytes.fromhex("0101180000000000000000000000000004000000ffffffffffd8ffd9")
TS_FLOAT32 = bytes.fromhex("0103180000000000010001000100000004000000070000000000003f")

# The smallest JPEG header the size reader needs: SOI, an APP0 segment, SOF0 for 640x480.
SOF_JPEG = (
    b"\xff\xd8"
    + b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    + b"\xff\xc0\x00\x11\x08\x01\xe0\x02\x80\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01"
    + b"\xff\xd9"
)


class TestEncodeFrame:
    def test_writes_the_same_bytes_as_the_typescript_encoder(self) -> None:
        assert encode_frame(FrameHeader("uint8", 2, 1, 3, 258, metrics={"inferenceMs": 41.2}), bytes(range(1, 7))) == TS_UINT8
        assert encode_frame(FrameHeader("jpeg", frame_id=0xFFFFFFFF), b"\xff\xd8\xff\xd9") == TS_JPEG
        assert encode_frame(FrameHeader("float32", 1, 1, 1, 7), struct.pack("<f", 0.5)) == TS_FLOAT32

    def test_lays_out_the_header_as_docs_producers_md_says(self) -> None:
        msg = encode_frame(FrameHeader("float32", 3, 2, 4, 9, metrics={"a": 1}), bytes(3 * 2 * 4 * 4))
        metrics = b'{"a":1}'
        assert msg[0] == 1 and msg[1] == 3
        assert struct.unpack_from("<H", msg, 2)[0] == 24 + len(metrics)
        assert struct.unpack_from("<I", msg, 4)[0] == 0
        assert struct.unpack_from("<HHBBH", msg, 8) == (3, 2, 4, 0, 0)
        assert struct.unpack_from("<II", msg, 16) == (96, 9)
        assert bytes(msg[24 : 24 + len(metrics)]) == metrics
        assert len(msg) == 24 + len(metrics) + 96

    def test_round_trips_through_the_decoder(self) -> None:
        header = FrameHeader("uint8", 4, 3, 1, 12345, metrics={"inferenceMs": 3.5, "step": 2})
        decoded, payload = decode_frame(encode_frame(header, bytes(range(12))))
        assert decoded == header
        assert bytes(payload) == bytes(range(12))

    @pytest.mark.parametrize(
        "header, payload, match",
        [
            (FrameHeader("png"), b"", "format"),
            (FrameHeader("uint8", 2, 2, 2), bytes(8), "channels"),
            (FrameHeader("uint8", 2, 2, 3), bytes(11), "needs 12 bytes"),
            (FrameHeader("uint8", 0, 2, 3), b"", "at least 1x1"),
            (FrameHeader("uint8", 70000, 1, 1), bytes(70000), "width"),
            (FrameHeader("jpeg", metrics={"x": float("nan")}), b"\xff\xd8\xff\xd9", "finite"),
            (FrameHeader("jpeg", metrics={"x": "fast"}), b"\xff\xd8\xff\xd9", "number"),  # type: ignore[dict-item]
        ],
    )
    def test_refuses_what_the_header_cannot_carry(self, header: FrameHeader, payload: bytes, match: str) -> None:
        with pytest.raises((TypeError, ValueError), match=match):
            encode_frame(header, payload)


class TestDecodeFrame:
    def test_refuses_a_header_that_lies_about_the_length(self) -> None:
        msg = bytearray(TS_UINT8)
        struct.pack_into("<I", msg, 16, 7)
        with pytest.raises(ProtocolError, match="header says"):
            decode_frame(msg)

    def test_refuses_short_messages_and_unknown_formats(self) -> None:
        with pytest.raises(ProtocolError, match="shorter"):
            decode_frame(b"\x01\x02")
        msg = bytearray(TS_JPEG)
        msg[1] = 9
        with pytest.raises(ProtocolError, match="unknown format"):
            decode_frame(msg)


class TestServerMessages:
    def test_parses_the_four_kinds(self) -> None:
        welcome = parse_server_message(
            '{"type":"welcome","version":1,"credits":2,"maxFrameBytes":33554432,'
            '"stream":{"path":"/ws/model","width":512,"height":512,"fps":30},"watching":true}'
        )
        assert welcome["credits"] == 2
        assert parse_server_message('{"type":"credit","n":1,"frameId":17}')["n"] == 1
        assert parse_server_message('{"type":"demand","watching":false}')["watching"] is False
        assert parse_server_message('{"type":"error","code":"ERR_INVALID_FRAME","message":"x"}')["code"] == "ERR_INVALID_FRAME"

    @pytest.mark.parametrize(
        "text, match",
        [
            ("not json", "not valid JSON"),
            ("[1]", "object"),
            ('{"type":"session"}', "unknown server message type"),
            ('{"type":"welcome","version":2,"credits":2}', "version"),
            ('{"type":"welcome","version":1,"credits":0}', "credits"),
            ('{"type":"credit","n":"1"}', "credit.n"),
            (b"\x01", "binary"),
        ],
    )
    def test_refuses_anything_else(self, text: str, match: str) -> None:
        with pytest.raises(ProtocolError, match=match):
            parse_server_message(text)


@pytest.mark.skipif(np is None, reason="numpy is not installed")
class TestFrames:
    def test_jpeg_bytes_go_as_they_are(self) -> None:
        header, payload = decode_frame(encode(SOF_JPEG))
        assert (header.format, header.width, header.height, header.channels) == ("jpeg", 0, 0, 0)
        assert bytes(payload) == SOF_JPEG

    def test_bytes_that_are_not_a_jpeg_are_refused(self) -> None:
        with pytest.raises(ValueError, match="JPEG"):
            encode(b"\x89PNG\r\n\x1a\n....")

    def test_uint8_hxwxc_and_hxw(self) -> None:
        rgb = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
        header, payload = decode_frame(encode(rgb))
        assert (header.format, header.width, header.height, header.channels) == ("uint8", 3, 2, 3)
        assert bytes(payload) == rgb.tobytes()
        header, _ = decode_frame(encode(np.zeros((5, 7), np.uint8)))
        assert (header.width, header.height, header.channels) == (7, 5, 1)

    def test_float_arrays_go_as_little_endian_float32(self) -> None:
        f64 = np.linspace(0, 1, 4 * 2 * 4).reshape(4, 2, 4)
        header, payload = decode_frame(encode(f64))
        assert (header.format, header.width, header.height, header.channels) == ("float32", 2, 4, 4)
        assert np.array_equal(np.frombuffer(payload, "<f4").reshape(4, 2, 4), f64.astype(np.float32))
        big_endian = np.ones((1, 1, 3), ">f4")
        assert np.array_equal(np.frombuffer(decode_frame(encode(big_endian))[1], "<f4"), [1, 1, 1])

    def test_a_view_is_copied_contiguously(self) -> None:
        base = np.arange(4 * 6 * 3, dtype=np.uint8).reshape(4, 6, 3)
        crop = base[1:3, ::2]
        header, payload = decode_frame(encode(crop))
        assert (header.width, header.height) == (3, 2)
        assert bytes(payload) == np.ascontiguousarray(crop).tobytes()

    def test_the_caller_may_reuse_its_array_at_once(self) -> None:
        arr = np.zeros((2, 2, 3), np.uint8)
        msg = encode(arr)
        arr[:] = 255
        assert set(bytes(decode_frame(msg)[1])) == {0}

    def test_nan_is_refused_at_the_call_and_infinities_pass(self) -> None:
        frame = np.zeros((4, 4, 3), np.float32)
        frame[2, 1, 0] = np.nan
        with pytest.raises(ValueError, match=r"NaN at index \(2, 1, 0\)"):
            encode(frame)
        frame[2, 1, 0] = np.inf
        frame[0, 0, 0] = -np.inf
        assert decode_frame(encode(frame))[0].format == "float32"

    def test_channels_first_arrays_get_a_hint(self) -> None:
        with pytest.raises(ValueError, match="permute"):
            encode(np.zeros((3, 8, 8), np.float32))

    def test_other_dtypes_and_kinds_are_refused(self) -> None:
        with pytest.raises(ValueError, match="dtype int64"):
            encode(np.zeros((2, 2, 3), np.int64))
        with pytest.raises(TypeError, match="Expected a frame"):
            encode("frame.jpg")

    def test_metric_keywords_become_camel_case(self) -> None:
        assert metric_name("queue_depth") == "queueDepth"
        assert build_metrics(41.2, {"step": 3, "gpu_mem_mb": 1.5}) == {"step": 3, "gpuMemMb": 1.5, "inferenceMs": 41.2}
        header, _ = decode_frame(encode(SOF_JPEG, {"inferenceMs": np.float32(2.5)}))
        assert header.metrics == {"inferenceMs": 2.5}

    def test_reads_a_jpeg_size_from_its_sof_marker(self) -> None:
        assert read_jpeg_size(SOF_JPEG) == (640, 480)
        assert read_jpeg_size(b"\xff\xd8\xff\xda\x00\x02") is None
        assert read_jpeg_size(b"GIF89a") is None


class TestFlowControl:
    def welcomed(self, credits: int = 2) -> FlowControl:
        flow = FlowControl()
        flow.welcome({"type": "welcome", "version": 1, "credits": credits, "maxFrameBytes": 100, "watching": True})
        return flow

    def test_spends_one_credit_per_frame_and_waits_at_zero(self) -> None:
        flow = self.welcomed(2)
        sent = []
        for i in range(5):
            flow.offer(bytearray(encode_frame(FrameHeader("jpeg", metrics={"i": i}), b"\xff\xd8\xff\xd9")))
            item = flow.take()
            if item:
                sent.append(item[0])
        assert sent == [0, 1]
        assert flow.stats.in_flight == 2 and flow.stats.max_in_flight == 2 and flow.stats.credits == 0

    def test_keeps_only_the_newest_frame_and_sends_it_when_a_credit_returns(self) -> None:
        flow = self.welcomed(1)
        flow.offer(bytearray(TS_JPEG))
        assert flow.take() is not None
        for i in range(3):
            flow.offer(encode_frame(FrameHeader("jpeg", metrics={"i": i}), b"\xff\xd8\xff\xd9"))
        assert flow.take() is None
        assert flow.stats.frames_replaced == 2
        flow.credit(1)
        frame_id, message = flow.take()  # type: ignore[misc]
        header, _ = decode_frame(message)
        assert (frame_id, header.frame_id, header.metrics) == (1, 1, {"i": 2})
        assert flow.take() is None

    def test_credits_belong_to_a_connection_and_the_newest_frame_outlives_it(self) -> None:
        flow = self.welcomed(2)
        flow.offer(bytearray(TS_JPEG))
        flow.take()
        flow.disconnected()
        flow.offer(bytearray(TS_JPEG))
        assert flow.take() is None
        flow.welcome({"credits": 3})
        assert flow.take() is not None
        assert flow.stats.connections == 2 and flow.stats.in_flight == 1

    def test_a_frame_over_max_frame_bytes_is_dropped_with_a_reason(self) -> None:
        flow = self.welcomed(2)
        # Raw frames count one byte per value, as the server does: 25 float32 values fit in 100.
        flow.offer(encode_frame(FrameHeader("float32", 5, 5, 1), bytes(100)))
        assert flow.take() is not None
        flow.offer(encode_frame(FrameHeader("uint8", 101, 1, 1), bytes(101)))
        with pytest.raises(ValueError, match="maxFrameBytes"):
            flow.take()
        assert flow.stats.credits == 1 and flow.pending is None


class TestBackoff:
    def test_grows_to_its_cap(self) -> None:
        b = Backoff(initial=0.5, maximum=4, factor=2, jitter=0)
        assert [b.delay(n) for n in range(6)] == [0.5, 1, 2, 4, 4, 4]
        assert b.delay(10_000) == 4

    def test_jitter_only_shortens(self) -> None:
        b = Backoff(initial=1, maximum=1, jitter=0.5)
        assert b.delay(0, rng=lambda: 0.0) == 1
        assert b.delay(0, rng=lambda: 0.999) == pytest.approx(0.5005)

    def test_stops_on_fatal_refusals_and_waits_long_while_busy(self) -> None:
        b = Backoff(initial=0.1, maximum=1, busy=10, jitter=0)
        assert b.after(ProducerError("ERR_PRODUCER_REFUSED", "unauthorized", "no", fatal=True), 0) is None
        assert b.after(ProducerError("ERR_PRODUCER_BUSY", "busy", "taken"), 0) == 10
        assert b.after(ProducerError("ERR_PRODUCER_REFUSED", "rate-limited", "429", retry_after=30), 0) == 30
        assert b.after(None, 3) == 0.8

    def test_refuses_nonsense(self) -> None:
        with pytest.raises(ValueError, match="jitter"):
            Backoff(jitter=2)
        with pytest.raises(ValueError, match="maximum"):
            Backoff(initial=5, maximum=1)


def test_metrics_json_is_compact() -> None:
    header, _ = decode_frame(encode_frame(FrameHeader("jpeg", metrics={"inferenceMs": 1}), b"\xff\xd8\xff\xd9"))
    assert json.dumps(header.metrics) == '{"inferenceMs": 1}'


class TestWhyItEnded:
    def test_http_answers(self) -> None:
        for status in (401, 403):
            err = refused_by_status(status, None, "ws://h/ingest")
            assert (err.code, err.reason, err.fatal, err.status) == ("ERR_PRODUCER_REFUSED", "unauthorized", True, status)
            assert "token" in str(err)
        limited = refused_by_status(429, None, "u")
        assert (limited.reason, limited.fatal, limited.retry_after) == ("rate-limited", False, 12.0)
        assert refused_by_status(429, 30.0, "u").retry_after == 30.0
        assert (refused_by_status(400, None, "u").reason, refused_by_status(400, None, "u").fatal) == ("protocol", True)
        for status in (200, 302, 404):
            err = refused_by_status(status, None, "ws://h/wrong")
            assert (err.reason, err.fatal) == ("not-ingest", True) and "ingest path" in str(err)
        for status in (408, 502, 503):
            assert (refused_by_status(status, None, "u").reason, refused_by_status(status, None, "u").fatal) == ("unreachable", False)

    def test_close_codes(self) -> None:
        assert closed_by_server(1000, "", "u") is None
        assert closed_by_server(1001, "shutting down", "u") is None
        assert closed_by_server(1006, "", "u") is None
        cases = {4401: ("ERR_PRODUCER_REFUSED", "unauthorized", True), 4409: ("ERR_PRODUCER_BUSY", "busy", False),
                 4410: ("ERR_PRODUCER_REFUSED", "replaced", True), 4400: ("ERR_PRODUCER_PROTOCOL", "protocol", False),
                 1009: ("ERR_INVALID_FRAME", "too-big", False)}
        for code, expected in cases.items():
            err = closed_by_server(code, "why", "u")
            assert err is not None and (err.code, err.reason, err.fatal) == expected and err.close_code == code
            assert "why" in str(err)


def test_urls_are_checked_and_http_becomes_ws() -> None:
    from framestream_producer import AsyncProducer

    assert AsyncProducer("http://h:8080/ingest/model").url == "ws://h:8080/ingest/model"
    assert AsyncProducer("https://h/ingest/model").url == "wss://h/ingest/model"
    with pytest.raises(ValueError, match="ws:// or wss://"):
        AsyncProducer("h:8080/ingest/model")
