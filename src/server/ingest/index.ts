import type { Server as HttpServer } from 'node:http';
import type { FrameStreamError } from '../../protocol/index.js';
import type { Producer } from '../producer.js';
import type { ServedSessions } from '../sessions/served.js';
import type { FrameLimits } from '../sources/frames.js';
import { IngestSource } from '../sources/ingest.js';
import { IngestEndpoint } from './endpoint.js';
import type { ResolvedIngest } from './options.js';

/** A stream's ingest: the endpoint producers connect to, and the source adapter it feeds. */
export interface Ingest {
  source: IngestSource;
  endpoint: IngestEndpoint;
}

export interface OpenIngestOptions {
  server: HttpServer;
  settings: ResolvedIngest;
  limits: FrameLimits;
  /** The stream's producer, whose source becomes the ingest. */
  producer: Producer;
  stream: () => { path: string; width: number; height: number; fps: number };
  watching: () => boolean;
  heartbeatInterval: number;
  /** With `session: 'producer'`: the sessions the producer serves. */
  sessions?: ServedSessions;
  /** With a hub: whether a producer feeds this stream on another node now. */
  busyElsewhere?: () => boolean;
  /** A producer connected (true) or went away (false), after the source knows. */
  online: (online: boolean) => void;
  reportError: (err: FrameStreamError) => void;
}

/** Makes the ingest the stream's source and opens its endpoint on the host. */
export function openIngest(o: OpenIngestOptions): Ingest {
  const source = new IngestSource();
  o.producer.useAdapter(source);
  const endpoint = new IngestEndpoint({
    server: o.server,
    settings: o.settings,
    limits: o.limits,
    stream: o.stream,
    watching: o.watching,
    heartbeatInterval: o.heartbeatInterval,
    sessions: o.sessions,
    busyElsewhere: o.busyElsewhere,
    online: (online) => {
      source.setOnline(online);
      o.online(online);
    },
    frame: (frame, metrics, done) => source.offer(frame, metrics, done),
    reportError: o.reportError,
  });
  return { source, endpoint };
}
