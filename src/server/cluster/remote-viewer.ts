import type { IngestServerMessage } from '../../protocol/index.js';
import type { ViewerHandle, ViewerInfo } from '../types.js';

/** What nodes say to one another about viewers, as JSON on `<stream>:to:<node>`. */
export type Envelope =
  | { kind: 'control'; from: string; viewer: ViewerInfo; identity: unknown; data: unknown }
  | { kind: 'reply'; viewer: number; data: unknown }
  | { kind: 'close'; viewer: number; code?: number; reason?: string }
  // Sessions served by a producer on another node (session-relay.ts)
  | { kind: 'toProducer'; from: string; msg: IngestServerMessage }
  | { kind: 'producerEnds'; target: number; reason?: string };

/**
 * A viewer connected to another node, as the producing node's `control`
 * listener sees it: its info as that node sent it, and `send`/`close`
 * carried back through the hub. `send` returns whether the reply left this
 * node, not whether it reached the viewer.
 */
export function remoteViewer(info: ViewerInfo, node: string, identity: unknown, reply: (message: Envelope) => boolean): ViewerHandle {
  const plain: ViewerInfo = {
    id: info.id,
    protocol: info.protocol,
    remoteAddress: info.remoteAddress,
    url: info.url,
    maxFps: info.maxFps,
    connectedAt: info.connectedAt,
    node,
  };
  return {
    ...plain,
    identity,
    connected: true,
    send: (data) => reply({ kind: 'reply', viewer: info.id, data }),
    close: (code, reason) => void reply({ kind: 'close', viewer: info.id, code, reason }),
    toJSON: () => plain,
  };
}
