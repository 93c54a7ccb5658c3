import { Label, Radio, RadioGroup } from '@headlessui/react';
import { PLAYGROUND_STREAMS } from '../streams.mjs';

export interface SourcePickerProps {
  /** The selected source, e.g. `'noise'`. */
  value: string;
  onChange: (source: string) => void;
}

/**
 * Picks which of the playground's streams to watch. A radio group (arrow keys
 * move the choice, as for any radio group) rather than a menu: there are only
 * three choices (two built-in sources and the external producer) and all
 * should be visible at once.
 *
 * It sits in the Dock, in the top-right corner beside the Controls panel in
 * the top-left. Below Tailwind's `sm` breakpoint (640 px) the two no longer
 * fit side by side: the panel is 288 px wide and would cover the picker (at
 * 390 px it hid the Noise button), so on narrow screens the Dock moves to the
 * bottom edge, full width, where a thumb reaches it and the panel does not.
 * Below 360 px the three buttons need the whole width: the "Source" label is
 * then left to screen readers.
 */
export function SourcePicker({ value, onChange }: SourcePickerProps) {
  return (
    <RadioGroup
      value={value}
      onChange={onChange}
      data-testid="source-picker"
      className="flex items-center justify-between max-[359px]:justify-center gap-3 rounded-2xl border border-sage-300/20 bg-black/45 py-2 pr-2 pl-4 shadow-2xl shadow-black/70 backdrop-blur-xl sm:justify-start"
    >
      <Label className="text-[10px] font-medium tracking-wider text-sage-400 uppercase max-[359px]:sr-only">Source</Label>
      <div className="flex gap-1 rounded-lg bg-white/5 p-1">
        {PLAYGROUND_STREAMS.map((stream) => (
          <Radio
            key={stream.source}
            value={stream.source}
            data-testid={`source-${stream.source}`}
            className="cursor-pointer rounded-md px-4 max-[359px]:px-3 py-2 text-center sm:px-2.5 sm:py-1 text-xs text-sage-200 transition outline-none data-checked:bg-sage-500 data-checked:font-semibold data-checked:text-black data-focus:ring-2 data-focus:ring-sage-300 data-hover:bg-white/10 data-checked:data-hover:bg-sage-400"
          >
            {stream.label}
          </Radio>
        ))}
      </div>
    </RadioGroup>
  );
}
