// One node of the hub figure (bench/figures/hub.mjs): the built
// `framestream/server` on a plain http.Server, joined to the other nodes
// through the built `framestream/redis` hub when BENCH_REDIS_URL is set.
//
// BENCH_HUB_ROLE says what the node does with a hub:
// - `producer`: the built-in noise source, exactly as bench/servers/framestream.mjs
//   (it takes the Redis lease, encodes each frame once and publishes it);
// - `relay`: `source: 'push'` and nothing pushed, so it never makes a frame
//   and every frame its viewers get came through Redis. Giving the relays no
//   source of their own keeps the roles fixed: with the same source on every
//   node, whichever node's viewers arrived first would take the lease.
// Without BENCH_REDIS_URL it is a single node with no hub, the in-process
// fan-out the figure compares with.
import { createFrameStreamServer } from '../../dist/server/index.js';
import { redisHub } from '../../dist/redis/index.js';
import { SETTINGS, runServer } from './common.mjs';

const url = process.env.BENCH_REDIS_URL;
const role = process.env.BENCH_HUB_ROLE ?? 'producer';
if (role !== 'producer' && role !== 'relay') throw new TypeError(`Expected \`BENCH_HUB_ROLE\` to be producer or relay, got \`${role}\``);

await runServer((server) => {
  const hub = url ? redisHub({ url, prefix: process.env.BENCH_HUB_PREFIX ?? 'framestream-bench' }) : undefined;
  const handle = createFrameStreamServer({
    server,
    path: '/stream',
    snapshotPath: false,
    source: hub && role === 'relay' ? 'push' : 'noise',
    width: SETTINGS.width,
    height: SETTINGS.height,
    fps: SETTINGS.fps,
    quality: SETTINGS.quality,
    ...(hub ? { hub } : {}),
  });
  // Runtime errors must not crash the benchmark; they are counted instead.
  let errors = 0;
  const codes = new Set();
  handle.on('error', (err) => {
    errors++;
    codes.add(err?.code ?? String(err));
  });
  return {
    async stop() {
      await handle.close();
      await hub?.close();
    },
    stats: () => ({
      ...handle.getStats(),
      errors,
      errorCodes: [...codes],
      hubConnected: hub ? hub.connected : null,
      hubDropped: hub ? hub.dropped : null,
    }),
  };
});
