import type { RawData } from 'ws';
import { FrameStreamError, parseClientMessage, wallClockMs } from '../protocol/index.js';
import type { ViewerInfo } from './types.js';
import type { Viewer } from './viewer.js';

/** What message handling needs from the stream it belongs to. */
export interface ControlContext {
  reportError(err: FrameStreamError): void;
  /** Emits `control` and runs the `onControl` hook, reporting a throw. */
  deliverControl(data: unknown, client: ViewerInfo): void;
}

const toText = (data: RawData): string =>
  Buffer.isBuffer(data)
    ? data.toString('utf8')
    : Array.isArray(data)
      ? Buffer.concat(data).toString('utf8')
      : Buffer.from(data).toString('utf8');

function refuse(ctx: ControlContext, viewer: Viewer, err: FrameStreamError): void {
  viewer.sendMessage({ type: 'error', code: err.code, message: err.message });
  ctx.reportError(err);
}

/**
 * Handles one client→server message. Bad input is answered with an `error`
 * message and reported; only rate abuse ends the connection (oversize
 * messages are closed with 1009 by `ws` itself, before they get here).
 */
export function handleClientMessage(ctx: ControlContext, viewer: Viewer, data: RawData, isBinary: boolean): void {
  viewer.alive = true;
  const budget = viewer.consumeToken();
  if (budget !== 'ok') {
    const err = new FrameStreamError(
      'ERR_CONTROL_RATE_LIMITED',
      `Viewer ${viewer.info.id} sent control messages faster than the rate limit allows`,
    );
    if (budget === 'abusive') {
      ctx.reportError(err);
      viewer.ws.close(1008, 'Control message rate limit exceeded');
    } else {
      refuse(ctx, viewer, err);
    }
    return;
  }
  // A plain WebSocket viewer has no control channel; whatever it sends is ignored.
  if (!viewer.framestream) return;
  if (isBinary) {
    refuse(ctx, viewer, new FrameStreamError('ERR_CONTROL_INVALID', 'Control messages must be JSON text, got a binary message'));
    return;
  }
  let msg;
  try {
    msg = parseClientMessage(toText(data));
  } catch (err) {
    refuse(ctx, viewer, err instanceof FrameStreamError ? err : new FrameStreamError('ERR_CONTROL_INVALID', String(err)));
    return;
  }
  switch (msg.type) {
    case 'ping':
      viewer.sendMessage({ type: 'pong', id: msg.id, clientTime: msg.clientTime, serverTime: wallClockMs() });
      break;
    case 'setMaxFps':
      viewer.setMaxFps(msg.fps);
      break;
    case 'control':
      ctx.deliverControl(msg.data, { ...viewer.info });
      break;
  }
}
