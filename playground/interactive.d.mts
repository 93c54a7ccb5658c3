import type { FrameStreamServerOptions } from '../src/server/index.js';

/** The limits `npm start` and `npm run dev` use unless the environment says otherwise. */
export declare const INTERACTIVE_DEFAULTS: Readonly<{ maxSessions: number; sessionTimeout: number; delayMs: number }>;

/** Settings of {@link img2imgStreamOptions}. */
export interface InteractiveSettings {
  /** Sessions at once; later viewers queue. @default 4 */
  maxSessions?: number;
  /** ms a session may run, 0 for no limit. @default 300000 */
  sessionTimeout?: number;
  /** ms the model adds to every frame. @default 0 */
  delayMs?: number;
  /** Output frames per second at most. @default the server's default */
  fps?: number;
  /** Hears of input frames the model could not read. */
  onError?: (err: Error) => void;
}

/** `createFrameStreamServer` options of the img2img stream, apart from `server`. */
export declare function img2imgStreamOptions(settings?: InteractiveSettings): Omit<FrameStreamServerOptions, 'server'>;
