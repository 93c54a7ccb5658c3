import { useId } from 'react';

/** The words the model knows (playground/models/img2img.mjs), as a hint under the prompt. */
const LOOKS = ['neon', 'sketch', 'warm', 'cold', 'blur', 'posterize', 'original'];
/** Delays a page can add to each frame, ms: a model as fast as the filter, then slower ones. */
const DELAYS = [0, 50, 150, 500];

export interface ModelCardProps {
  /** The added delay, ms. */
  delay: number;
  onDelayChange: (ms: number) => void;
}

/**
 * What the model understands and how slow it is: the prompt's words, and a
 * delay the model adds to every frame to act like a real, slower model
 * (sent as the `delay` param). Left out below 640 px wide or 480 px high,
 * where the output has little room left between the panel and the Dock.
 */
export function ModelCard({ delay, onDelayChange }: ModelCardProps) {
  const id = useId();
  return (
    <section
      aria-label="Model"
      data-testid="model-card"
      className="hidden w-full flex-col gap-1.5 rounded-2xl border border-sage-300/20 bg-black/45 px-3 py-2 text-xs text-sage-300 shadow-2xl shadow-black/70 backdrop-blur-xl sm:flex sm:w-80 [@media(max-height:480px)]:hidden"
    >
      <p>
        <span className="text-sage-400">Prompt words: </span>
        {LOOKS.join(' · ')}
        <span className="text-sage-400"> (any other prompt: a dreamy default)</span>
      </p>
      <p className="flex items-center gap-2">
        <label htmlFor={id} className="text-sage-400">
          Model delay
        </label>
        <select
          id={id}
          value={delay}
          data-testid="model-delay"
          onChange={(e) => onDelayChange(Number(e.target.value))}
          className="rounded-md border border-sage-300/20 bg-black/60 px-1.5 py-0.5 text-sage-200 outline-none focus-visible:ring-2 focus-visible:ring-sage-300"
        >
          {DELAYS.map((ms) => (
            <option key={ms} value={ms}>
              {ms === 0 ? 'none' : `+${ms} ms`}
            </option>
          ))}
        </select>
      </p>
    </section>
  );
}
