/**
 * The framestream wire format, shared by server and client. Imports nothing
 * from Node or the DOM so it runs anywhere.
 */
export const PROTOCOL_VERSION = 1;
/** The WebSocket subprotocol a framestream client asks for. */
export const SUBPROTOCOL = 'framestream.v1';

export * from './frame.js';
export * from './control.js';
export * from './errors.js';
export { wallClockMs } from './clock.js';
export { looksLikeJpeg, readJpegSize } from './jpeg.js';
export * from './close-codes.js';
export * from './producer.js';
export * from './session.js';
