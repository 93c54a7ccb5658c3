/**
 * `framestream/redis`: join framestream processes through Redis so several
 * nodes behind a load balancer serve one stream (docs/scaling.md).
 * Needs the `redis` package (node-redis), an optional peer dependency.
 */
import { rejectUnknownKeys } from '../protocol/suggest.js';
import { RedisHub, type RedisHubOptions } from './hub.js';

export type { FrameStreamHub } from '../server/cluster/hub.js';
export type { RedisHubOptions } from './hub.js';

const KEYS = ['url', 'prefix', 'maxReconnectDelayMs', 'maxPendingBytes', 'clientOptions'] as const;

/**
 * A hub on Redis pub/sub for `createFrameStreamServer({ hub })`. It connects
 * at once and keeps reconnecting while Redis is away; streams on it serve
 * what this process produces meanwhile.
 *
 * @example
 * import { createFrameStreamServer } from 'framestream/server';
 * import { redisHub } from 'framestream/redis';
 *
 * const hub = redisHub({ url: process.env.REDIS_URL });
 * const stream = createFrameStreamServer({ server, hub });
 */
export function redisHub(options: RedisHubOptions = {}): RedisHub {
  if (typeof options !== 'object' || options === null) throw new TypeError('`redisHub(options)`: options must be an object');
  rejectUnknownKeys(options, KEYS, 'redisHub');
  const { url, prefix, maxReconnectDelayMs, maxPendingBytes } = options;
  if (url !== undefined && (typeof url !== 'string' || !/^rediss?:\/\//.test(url))) {
    throw new TypeError(`\`url\` must be a redis:// or rediss:// URL, got ${JSON.stringify(url)}`);
  }
  if (prefix !== undefined && (typeof prefix !== 'string' || prefix === '' || /[\s*?[\]]/.test(prefix))) {
    throw new TypeError('`prefix` must be a non-empty string without spaces or glob characters');
  }
  if (maxReconnectDelayMs !== undefined && !(Number.isFinite(maxReconnectDelayMs) && maxReconnectDelayMs >= 50)) {
    throw new RangeError(`\`maxReconnectDelayMs\` must be a number ≥ 50, got ${String(maxReconnectDelayMs)}`);
  }
  if (maxPendingBytes !== undefined && !(Number.isInteger(maxPendingBytes) && maxPendingBytes >= 1024)) {
    throw new RangeError(`\`maxPendingBytes\` must be an integer ≥ 1024, got ${String(maxPendingBytes)}`);
  }
  return new RedisHub(options);
}

export { RedisHub };
