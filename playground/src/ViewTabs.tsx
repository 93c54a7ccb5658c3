/** The playground's two views: broadcast streams, and the interactive img2img stream. */
export type PlaygroundView = 'broadcast' | 'img2img';

const VIEWS: { view: PlaygroundView; label: string; href: string }[] = [
  { view: 'broadcast', label: 'Broadcast', href: '?' },
  { view: 'img2img', label: 'img2img', href: '?view=img2img' },
];

/** `?view=img2img` opens the img2img view; anything else the broadcast one. */
export function initialView(): PlaygroundView {
  return new URLSearchParams(location.search).get('view') === 'img2img' ? 'img2img' : 'broadcast';
}

/**
 * Links between the views. Plain links, each view its own URL (which can
 * be shared or reloaded): following one loads the other view afresh, so a
 * broadcast socket never stays open under the img2img view, nor the camera
 * under the broadcast one.
 */
export function ViewTabs({ view }: { view: PlaygroundView }) {
  return (
    <nav
      aria-label="View"
      data-testid="view-tabs"
      className="flex w-full gap-1 self-stretch rounded-2xl border border-sage-300/20 bg-black/45 p-1 shadow-2xl shadow-black/70 backdrop-blur-xl sm:w-auto sm:self-end"
    >
      {VIEWS.map((v) => (
        <a
          key={v.view}
          href={v.href}
          aria-current={v.view === view ? 'page' : undefined}
          data-testid={`view-${v.view}`}
          className="flex-1 rounded-xl px-4 py-2 text-center text-xs text-sage-200 transition outline-none hover:bg-white/10 focus-visible:ring-2 focus-visible:ring-sage-300 aria-[current=page]:bg-sage-500 aria-[current=page]:font-semibold aria-[current=page]:text-black sm:flex-none sm:px-3 sm:py-1"
        >
          {v.label}
        </a>
      ))}
    </nav>
  );
}
