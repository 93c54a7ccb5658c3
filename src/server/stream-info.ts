import { wallClockMs, type ServerMessage } from '../protocol/index.js';
import type { ClusterLink } from './cluster/link.js';
import type { EncodedFrame } from './encode/framing.js';
import type { ResolvedOptions } from './options.js';
import type { Producer } from './producer.js';
import type { Ingest } from './ingest/index.js';
import type { SessionManager } from './sessions/manager.js';
import type { IngestSource } from './sources/ingest.js';
import type { ServerStats } from './types.js';
import type { Audience } from './viewers/audience.js';
import type { SharedMetrics } from './viewers/housekeeping.js';

/** What a newcomer is told about the stream. */
export function helloMessage(
  o: Pick<ResolvedOptions, 'width' | 'height' | 'fps' | 'quality'>,
  producer: Producer,
  latest: EncodedFrame | undefined,
  interactive = false,
): ServerMessage {
  return {
    type: 'hello',
    version: 1,
    stream: {
      width: latest?.meta.width ?? o.width,
      height: latest?.meta.height ?? o.height,
      // 0: a pushed source sets its own pace; there is no rate to promise.
      fps: producer.scheduled || interactive ? o.fps : 0,
      codec: 'jpeg',
      quality: o.quality,
      source: interactive ? 'session' : producer.sourceName,
    },
    maxFps: null,
    serverTime: wallClockMs(),
  };
}

/** The stream-wide figures of the once-a-second `metrics` message. */
export function streamMetrics(
  producer: Producer,
  audience: Audience,
  latest: EncodedFrame | undefined,
  ingest: Pick<IngestSource, 'online' | 'offlineSince'> | undefined,
): SharedMetrics {
  const encodeMs = producer.encoder.encodeMs.median();
  const inferenceMs = producer.inferenceMs.median();
  return {
    fps: audience.rate.perSecond(),
    viewers: audience.size,
    ...(encodeMs !== undefined && { encodeMs }),
    ...(inferenceMs !== undefined && { inferenceMs }),
    ...(latest && { frameBytes: latest.payload.byteLength }),
    // Numbers, so clients that predate them read them as figures and carry on.
    ...(ingest && {
      sourceOnline: ingest.online ? 1 : 0,
      ...(ingest.offlineSince !== null && { sourceOfflineSince: ingest.offlineSince }),
    }),
  };
}

/** `getStats()`: the producer's, the audience's and the gate's counters in one object. */
export function streamStats(s: {
  producer: Producer;
  audience: Audience;
  latest: EncodedFrame | undefined;
  rejected: number;
  viewerErrors: number;
  ingest: Ingest | undefined;
  sessions: SessionManager | undefined;
  cluster?: ClusterLink | undefined;
}): ServerStats {
  const t = s.audience.totals();
  const p = s.producer;
  return {
    viewers: t.viewers,
    framestreamViewers: t.framestreamViewers,
    producing: p.producing,
    source: s.sessions ? 'session' : p.sourceName,
    framesProduced: p.produced,
    framesSent: t.sent,
    framesSkipped: t.skipped,
    framesCapped: t.capped,
    framesDropped: p.dropped,
    fps: s.audience.rate.perSecond(),
    encodeMs: p.encoder.encodeMs.median(),
    inferenceMs: p.inferenceMs.median(),
    lastFrameBytes: s.latest?.payload.byteLength ?? 0,
    maxBufferedBytes: t.maxBuffered,
    rejectedConnections: s.rejected,
    viewerErrors: s.viewerErrors,
    ...(s.ingest && { producer: { connected: s.ingest.endpoint.connected, offlineSince: s.ingest.source.offlineSince } }),
    ...(s.sessions && { sessions: s.sessions.counts() }),
    ...(s.cluster && { cluster: s.cluster.stats() }),
  };
}
