"""Helpers for the tests against the real server: the fixture process and a viewer."""

from __future__ import annotations

import asyncio
import json
import selectors
import signal
import struct
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Optional

import websockets

FIXTURE = Path(__file__).with_name("server_fixture.mjs")
REPO = Path(__file__).resolve().parents[2]
TOKEN = "secret"


class ServerProcess:
    """``node server_fixture.mjs``: framestream's real server on 127.0.0.1."""

    def __init__(self, port: int = 0, credits: int = 2) -> None:
        self.credits = credits
        self._stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            ["node", str(FIXTURE), "--port", str(port), "--credits", str(credits)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
        )
        self.port = self._read_port()

    def _read_port(self, timeout: float = 30) -> int:
        assert self.proc.stdout is not None
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if sel.select(0.1):
                line = self.proc.stdout.readline()
                if line:
                    return int(json.loads(line)["port"])
            if self.proc.poll() is not None:
                break
        self.kill()
        raise RuntimeError(f"server_fixture.mjs did not start:\n{self.stderr()}")

    def stderr(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read().decode("utf-8", "replace")

    @property
    def ingest_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ingest/model"

    @property
    def proxy_url(self) -> str:
        """The ingest endpoint through the fixture's counting relay."""
        return f"ws://127.0.0.1:{self.port}/proxy/ingest/model"

    @property
    def viewer_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/model/"

    @property
    def live_ingest_url(self) -> str:
        """The ingest endpoint of the stream whose sessions a producer serves."""
        return f"ws://127.0.0.1:{self.port}/ingest/live"

    @property
    def live_viewer_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/live/"

    def _http(self, path: str, body: Optional[bytes] = None) -> Dict[str, Any]:
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=body, method="POST" if body else "GET")
        with urllib.request.urlopen(req, timeout=10) as res:
            return json.loads(res.read())

    def stats(self) -> Dict[str, Any]:
        return self._http("/fixture/stats")

    def jpeg_info(self, jpeg: bytes) -> Dict[str, Any]:
        """Size and mean colour of a JPEG, decoded by sharp in the fixture."""
        return self._http("/fixture/jpeg", jpeg)

    def decode_producer_frame(self, message: bytes) -> Dict[str, Any]:
        """What framestream's TypeScript decoder reads from a producer frame."""
        try:
            return self._http("/fixture/producer-frame", bytes(message))
        except urllib.error.HTTPError as err:
            return json.loads(err.read())

    def kill(self) -> None:
        """SIGKILL: the server vanishes as in a crash; producers see the connection drop."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        if self.proc.stdout:
            self.proc.stdout.close()
        self._stderr.close()


@dataclass
class ViewerFrame:
    seq: int
    width: int
    height: int
    metrics: Dict[str, float]
    jpeg: bytes


_VIEWER_HEADER = struct.Struct("<BBHIddHHI")  # framestream.v1, docs/protocol.md


@dataclass
class Viewer:
    """A framestream.v1 viewer (docs/protocol.md) recording the frames it receives."""

    url: str
    frames: List[ViewerFrame] = field(default_factory=list)
    texts: List[Dict[str, Any]] = field(default_factory=list)
    _ws: Any = None
    _task: Optional[asyncio.Task[None]] = None

    async def __aenter__(self) -> "Viewer":
        self._ws = await getattr(websockets, "connect")(self.url, subprotocols=["framestream.v1"], max_size=64 << 20, compression=None)
        self._task = asyncio.get_running_loop().create_task(self._read())
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self._ws.close()
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _read(self) -> None:
        async for msg in self._ws:
            if isinstance(msg, str):
                self.texts.append(json.loads(msg))
                continue
            _t, _c, hlen, seq, _cap, _enc, width, height, plen = _VIEWER_HEADER.unpack_from(msg, 0)
            metrics = json.loads(msg[32:hlen]) if hlen > 32 else {}
            self.frames.append(ViewerFrame(seq, width, height, metrics, bytes(msg[hlen : hlen + plen])))

    def hello(self) -> Dict[str, Any]:
        return next(t for t in self.texts if t.get("type") == "hello")

    def session(self) -> Optional[Dict[str, Any]]:
        """The last ``session`` message: where this viewer's session stands."""
        return next((t for t in reversed(self.texts) if t.get("type") == "session"), None)

    async def send_params(self, params: Dict[str, Any]) -> None:
        await self._ws.send(json.dumps({"type": "params", "params": params}))

    async def send_input(self, seq: int, jpeg: bytes, capture_time: float = 1_700_000_000_000.0) -> None:
        """A camera frame, as framestream's client sends one (docs/sessions.md)."""
        await self._ws.send(struct.pack("<BBHId", 2, 1, 16, seq, capture_time) + jpeg)


async def until(condition: Callable[[], bool], what: str, timeout: float = 20) -> None:
    """Polls ``condition`` until it holds; fails naming ``what``. Never sleeps a fixed time to pass."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"Timed out waiting for {what}")
        await asyncio.sleep(0.01)


def run(coro: Awaitable[Any]) -> Any:
    return asyncio.run(coro)  # type: ignore[arg-type]


def make_jpeg(server: ServerProcess, width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A real JPEG of one colour, made by sharp in the fixture (so the tests need no PIL)."""
    r, g, b = rgb
    url = f"http://127.0.0.1:{server.port}/fixture/make-jpeg?width={width}&height={height}&r={r}&g={g}&b={b}"
    with urllib.request.urlopen(url, timeout=10) as res:
        return res.read()
