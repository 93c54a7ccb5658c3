import { useEffect, useRef } from 'react';
import type { SessionClient } from '../../src/react/index.js';
import { drawPattern, PATTERN_SIZE } from './pattern.js';

export interface PatternInputProps {
  /** Where the frames go (`client.sendFrame`). */
  client: SessionClient | null;
  /** Send frames now: the session is active and ours. The pattern moves either way. */
  sending: boolean;
  /** Frames drawn and offered per second. @default 30 */
  fps?: number;
}

/**
 * The input of the img2img view when there is no camera (denied, none, or
 * it failed): the moving pattern of pattern.ts, drawn on a canvas about 30
 * times a second and handed to `client.sendFrame`, which encodes it as it
 * would a camera frame. The canvas doubles as the preview.
 *
 * A timer rather than requestAnimationFrame: the pattern keeps going in a
 * background tab, as a camera would.
 */
export function PatternInput({ client, sending, fps = 30 }: PatternInputProps) {
  const canvasRef = useRef<HTMLCanvasElement>(null);

  useEffect(() => {
    const canvas = canvasRef.current;
    const ctx = canvas?.getContext('2d');
    if (!canvas || !ctx) return;
    const started = performance.now();
    const tick = () => {
      drawPattern(ctx, (performance.now() - started) / 1000);
      if (sending && client) client.sendFrame(canvas, { width: PATTERN_SIZE, height: PATTERN_SIZE });
    };
    tick();
    const timer = setInterval(tick, 1000 / fps);
    return () => clearInterval(timer);
  }, [client, sending, fps]);

  return (
    <section
      aria-label="Pattern input"
      data-testid="pattern-input"
      data-sending={sending ? 'true' : 'false'}
      className="flex w-full items-center gap-3 rounded-2xl border border-sage-300/20 bg-black/45 p-2 text-sm text-sage-200 shadow-2xl shadow-black/70 backdrop-blur-xl sm:w-80"
    >
      <canvas
        ref={canvasRef}
        width={PATTERN_SIZE}
        height={PATTERN_SIZE}
        data-testid="pattern-canvas"
        aria-hidden="true"
        className="h-20 w-20 flex-none rounded-lg sm:h-28 sm:w-28"
      />
      <p className="min-w-0">
        <span className="font-semibold">Built-in pattern</span>
        <span className="block text-xs text-sage-400">
          {sending ? 'No camera, so this moving pattern goes to the model instead.' : 'Sent to the model once your session starts.'}
        </span>
      </p>
    </section>
  );
}
