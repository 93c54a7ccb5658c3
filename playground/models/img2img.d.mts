import type { Session, SourceFrame } from '../../src/server/index.js';

/** The largest output side, px. */
export declare const MAX_SIZE: number;
/** The largest delay a page may ask for with the `delay` param, ms. */
export declare const MAX_DELAY_MS: number;

/** Raw pixels between treatments. */
export interface RawPixels {
  data: Buffer;
  info: { width: number; height: number; channels: number };
}

/** The treatments, by the word in the prompt that picks them. */
export declare const STYLES: Readonly<Record<string, (pixels: Buffer, info: RawPixels['info']) => Promise<RawPixels>>>;
/** The look of a prompt that names no treatment. */
export declare const DEFAULT_STYLE: string;

/** The treatments a prompt picks, in the order its words name them (at most three), or the default. */
export declare function stylesOf(prompt: unknown): string[];

/** Turns one input JPEG into the output JPEG for `prompt`; the same input and prompt give the same bytes. */
export declare function stylise(jpeg: Uint8Array, options?: { prompt?: unknown; quality?: number }): Promise<Buffer>;

/** Milliseconds from a param or the environment, clamped to [0, MAX_DELAY_MS]; 0 for anything not a number. */
export declare function delayOf(value: unknown): number;

/** Options of {@link img2imgSession}. */
export interface Img2imgSessionOptions {
  /** Added to every frame, ms (a slower model). @default 0 */
  delayMs?: number;
  /** JPEG quality of the output. @default 80 */
  quality?: number;
  /** Called with an input frame sharp could not read (the frame is skipped). @default undefined */
  onError?: (err: Error) => void;
}

/** The `session` function of an interactive stream that runs {@link stylise} on each viewer's newest frame. */
export declare function img2imgSession(
  options?: Img2imgSessionOptions,
): (session: Pick<Session, 'frames' | 'params' | 'signal'>) => AsyncGenerator<SourceFrame, void, undefined>;
