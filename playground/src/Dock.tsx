import type { ReactNode } from 'react';

/**
 * The corner the page's own controls live in: the view tabs and, below
 * them, the view's picker or its input. Top-right beside the Controls
 * panel; below Tailwind's `sm` breakpoint (640 px), where the 288 px panel
 * leaves no room beside it, along the bottom edge at full width.
 */
export function Dock({ children }: { children: ReactNode }) {
  return (
    <div
      data-testid="dock"
      className="fixed inset-x-4 bottom-[max(1rem,env(safe-area-inset-bottom))] z-40 flex flex-col items-stretch gap-2 sm:inset-x-auto sm:top-4 sm:right-4 sm:bottom-auto sm:items-end"
    >
      {children}
    </div>
  );
}
