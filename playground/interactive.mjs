// The playground's interactive stream, for the servers only (server.mjs and
// vite.config.ts): its model and its limits stay out of the page's bundle,
// which takes the path from streams.mjs.
//
// Each viewer gets a private session: its camera frames (or the page's
// built-in pattern) and its prompt go up, and the img2img model's frames
// come back to it alone. The machine runs `maxSessions` at once; later
// viewers wait in line and are told their place.
import { img2imgSession } from './models/img2img.mjs';
import { IMG2IMG_STREAM } from './streams.mjs';

/** The limits `npm start` and `npm run dev` use unless the environment says otherwise. */
export const INTERACTIVE_DEFAULTS = Object.freeze({
  maxSessions: 4,
  sessionTimeout: 5 * 60_000,
  delayMs: 0,
});

/**
 * `createFrameStreamServer` options of the img2img stream, apart from
 * `server`. `onError` hears of input frames the model could not read.
 *
 * @param {{ maxSessions?: number, sessionTimeout?: number, delayMs?: number, fps?: number, onError?: (err: Error) => void }} [settings]
 */
export function img2imgStreamOptions(settings = {}) {
  const { maxSessions, sessionTimeout, delayMs, fps, onError } = { ...INTERACTIVE_DEFAULTS, ...settings };
  return {
    path: IMG2IMG_STREAM.path,
    ...(fps !== undefined && { fps }),
    maxSessions,
    sessionTimeout,
    session: img2imgSession({ delayMs, onError }),
  };
}
