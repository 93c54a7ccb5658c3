import { useCallback, useEffect, useRef, useState, type KeyboardEvent, type PointerEvent } from 'react';

/** A position in CSS pixels from the viewport's top-left corner. */
export interface Point {
  x: number;
  y: number;
}

/** Keeps `p` such that a `width`×`height` box stays inside the viewport. */
export function clampToViewport(p: Point, width: number, height: number, viewW: number, viewH: number): Point {
  return {
    x: Math.round(Math.min(Math.max(0, p.x), Math.max(0, viewW - width))),
    y: Math.round(Math.min(Math.max(0, p.y), Math.max(0, viewH - height))),
  };
}

const KEY_STEP = 10;
const KEY_STEP_LARGE = 50;

/**
 * Drag a fixed-position box by a handle. Pointer capture keeps the drag alive
 * when the pointer outruns the box or leaves the window; the box is clamped on
 * screen while dragging and whenever the window is resized. Arrow keys on the
 * focused handle move it too (Shift for bigger steps), so it is not a
 * pointer-only feature.
 */
export function useDraggable(initial: Point) {
  const boxRef = useRef<HTMLDivElement>(null);
  const [position, setPosition] = useState<Point>(initial);
  const [dragging, setDragging] = useState(false);
  const grab = useRef<Point | null>(null);

  const clamp = useCallback((p: Point): Point => {
    const box = boxRef.current;
    if (!box || typeof window === 'undefined') return p;
    return clampToViewport(p, box.offsetWidth, box.offsetHeight, window.innerWidth, window.innerHeight);
  }, []);

  useEffect(() => {
    const onResize = () => setPosition((p) => clamp(p));
    onResize();
    window.addEventListener('resize', onResize);
    return () => window.removeEventListener('resize', onResize);
  }, [clamp]);

  const onPointerDown = useCallback(
    (event: PointerEvent<HTMLElement>) => {
      if (event.button !== 0) return;
      // Only the handle itself starts a drag, not buttons placed inside it.
      if ((event.target as HTMLElement).closest('button, a, input, [role="switch"]') && event.target !== event.currentTarget) return;
      event.currentTarget.setPointerCapture(event.pointerId);
      grab.current = { x: event.clientX - position.x, y: event.clientY - position.y };
      setDragging(true);
    },
    [position],
  );

  const onPointerMove = useCallback(
    (event: PointerEvent<HTMLElement>) => {
      const offset = grab.current;
      if (!offset || !event.currentTarget.hasPointerCapture(event.pointerId)) return;
      setPosition(clamp({ x: event.clientX - offset.x, y: event.clientY - offset.y }));
    },
    [clamp],
  );

  const endDrag = useCallback((event: PointerEvent<HTMLElement>) => {
    if (event.currentTarget.hasPointerCapture(event.pointerId)) {
      event.currentTarget.releasePointerCapture(event.pointerId);
    }
    grab.current = null;
    setDragging(false);
  }, []);

  const onKeyDown = useCallback(
    (event: KeyboardEvent<HTMLElement>) => {
      const step = event.shiftKey ? KEY_STEP_LARGE : KEY_STEP;
      const delta: Record<string, Point> = {
        ArrowLeft: { x: -step, y: 0 },
        ArrowRight: { x: step, y: 0 },
        ArrowUp: { x: 0, y: -step },
        ArrowDown: { x: 0, y: step },
      };
      const d = delta[event.key];
      if (!d) return;
      event.preventDefault();
      setPosition((p) => clamp({ x: p.x + d.x, y: p.y + d.y }));
    },
    [clamp],
  );

  return {
    boxRef,
    position,
    dragging,
    handleProps: { onPointerDown, onPointerMove, onPointerUp: endDrag, onPointerCancel: endDrag, onKeyDown },
  };
}
