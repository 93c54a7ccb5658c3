// The receive-only variant of the browser figure: the floor under any page
// that owns its WebSocket on the main thread. It takes each message off the
// socket, reads the 32-byte header, and does nothing else: no decode, no
// paint. Its main-thread time per frame is what the browser itself spends
// delivering a 512×512 noise frame to page script.
const url = new URLSearchParams(location.search).get('ws');
const probe = (window.__probe = {
  ages: [],
  received: 0,
  painted: 0,
  liveBitmaps: 0,
  maxLiveBitmaps: 0,
  thread: 'main',
});
const wallClock = () => performance.timeOrigin + performance.now();

const ws = new WebSocket(url, 'framestream.v1');
ws.binaryType = 'arraybuffer';
ws.onmessage = (event) => {
  if (typeof event.data === 'string') return;
  const capture = new DataView(event.data).getFloat64(8, true);
  probe.received++;
  // "Displayed" here means handed to script: the age is capture → receive.
  probe.painted++;
  probe.ages.push(wallClock() - capture);
  performance.mark('fs-frame');
};
