// The model of a cluster test, in its own process: a framestream producer
// feeding one node's ingest endpoint, a frame every 33 ms, and on request
// (`{ ask: 'burst', count }`) `count` frames as fast as the server's
// credits let it.
import { FrameProducer } from '../../../src/producer/index.js';

const jpeg = Buffer.from(process.env.JPEG_BASE64!, 'base64');
const producer = new FrameProducer({ url: process.env.INGEST_URL!, token: 'cluster-test' });
producer.on('error', () => {});
let n = 0;
let burst = 0;
let timer: NodeJS.Timeout | undefined;

function next(): void {
  const sent = producer.send(jpeg, { frame: ++n });
  if (burst > 0) {
    if (sent && --burst === 0) process.send!({ burstDone: true });
    setImmediate(next);
  } else timer = setTimeout(next, 33);
}
producer.once('open', () => next());
process.on('message', (msg: { ask: string; count?: number }) => {
  if (msg.ask !== 'burst') return;
  burst = msg.count!;
});
process.on('disconnect', () => {
  clearTimeout(timer);
  void producer.close().then(() => process.exit(0));
});
