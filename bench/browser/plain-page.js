// The plain variant of the browser figure: the original app's approach, for
// every frame as it arrives, on the main thread: Blob → createImageBitmap →
// drawImage, and nothing ever closed. The one change is reading framestream's
// 32-byte header (subprotocol framestream.v1) to learn the capture time; the
// JPEG after it is handled exactly as the original handled its bare JPEG.
const url = new URLSearchParams(location.search).get('ws');
const canvas = document.createElement('canvas');
canvas.width = 512;
canvas.height = 512;
canvas.style.cssText = 'width:512px;height:512px;display:block';
document.getElementById('root').append(canvas);
const ctx = canvas.getContext('2d');
const probe = (window.__probe = {
  ages: [],
  received: 0,
  painted: 0,
  created: 0,
  closed: 0,
  liveBitmaps: 0,
  maxLiveBitmaps: 0,
  thread: 'main',
  firstPaintAt: 0,
  lastPaintAt: 0,
});
const wallClock = () => performance.timeOrigin + performance.now();

const ws = new WebSocket(url, 'framestream.v1');
ws.binaryType = 'arraybuffer';
ws.onmessage = (event) => {
  if (typeof event.data === 'string') return;
  probe.received++;
  const view = new DataView(event.data);
  const headerLength = view.getUint16(2, true);
  const capture = view.getFloat64(8, true);
  const blob = new Blob([new Uint8Array(event.data, headerLength)], { type: 'image/jpeg' });
  probe.created++;
  createImageBitmap(blob).then((bitmap) => {
    ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    const now = wallClock();
    probe.painted++;
    probe.ages.push(now - capture);
    probe.liveBitmaps = probe.created - probe.closed;
    probe.maxLiveBitmaps = Math.max(probe.maxLiveBitmaps, probe.liveBitmaps);
    if (probe.firstPaintAt === 0) probe.firstPaintAt = now;
    probe.lastPaintAt = now;
    performance.mark('fs-frame');
  });
};
