import {
  Field,
  Label,
  Listbox,
  ListboxButton,
  ListboxOption,
  ListboxOptions,
  Popover,
  PopoverButton,
  PopoverPanel,
  Radio,
  RadioGroup,
  Switch,
} from '@headlessui/react';
import type { FitMode } from './painter.js';

/** Props of {@link SettingsMenu}. */
export interface SettingsMenuProps {
  fit: FitMode;
  onFitChange: (fit: FitMode) => void;
  /** Cap in frames per second, `null` for none. */
  maxFps: number | null;
  onMaxFpsChange: (fps: number | null) => void;
  /** Caps offered; `null` is shown as "Unlimited". */
  maxFpsOptions: readonly (number | null)[];
  showMetrics: boolean;
  onShowMetricsChange: (show: boolean) => void;
}

const FOCUS = 'outline-none focus-visible:ring-2 focus-visible:ring-[#B5CC9A] focus-visible:ring-offset-2 focus-visible:ring-offset-black';
const fpsLabel = (fps: number | null) => (fps === null ? 'Unlimited' : `${fps} fps`);
// Listbox treats `null` as "nothing selected", so "no cap" travels as 0 inside it.
const toListbox = (fps: number | null) => fps ?? 0;
const fromListbox = (value: number) => (value > 0 ? value : null);

/**
 * The settings popover of {@link Controls}: fit mode, FPS cap, metrics on/off.
 * Panels are positioned inside the popover instead of portalled, so the
 * listbox inside it never counts as a click outside.
 */
export function SettingsMenu(props: SettingsMenuProps) {
  return (
    <Popover className="relative">
      <PopoverButton
        aria-label="Settings"
        data-testid="settings-button"
        className={`grid size-9 place-items-center rounded-lg text-[#B5CC9A] transition hover:bg-[#8B9A7E]/20 data-[open]:bg-[#8B9A7E]/25 ${FOCUS}`}
      >
        <svg aria-hidden="true" viewBox="0 0 24 24" className="size-5" fill="none" stroke="currentColor" strokeWidth="1.8">
          <path d="M4 7h10M18 7h2M4 17h4M12 17h8" strokeLinecap="round" />
          <circle cx="16" cy="7" r="2" />
          <circle cx="10" cy="17" r="2" />
        </svg>
      </PopoverButton>
      <PopoverPanel
        data-testid="settings-panel"
        className="absolute right-0 top-full z-10 mt-2 w-64 space-y-4 rounded-xl border border-[#8B9A7E]/30 bg-neutral-950/95 p-4 text-sm text-[#B5CC9A] shadow-2xl shadow-black"
      >
        <RadioGroup value={props.fit} onChange={props.onFitChange} aria-label="Fit mode" className="space-y-1.5">
          <div className="text-xs font-medium uppercase tracking-wider text-[#9CA986]">Fit mode</div>
          <div className="grid grid-cols-2 gap-1 rounded-lg bg-white/5 p-1">
            {(['cover', 'contain'] as const).map((mode) => (
              <Radio
                key={mode}
                value={mode}
                data-testid={`fit-${mode}`}
                className={`cursor-pointer rounded-md px-2 py-1.5 text-center capitalize transition hover:bg-[#8B9A7E]/20 data-[checked]:bg-[#8B9A7E] data-[checked]:text-black ${FOCUS}`}
              >
                {mode}
              </Radio>
            ))}
          </div>
        </RadioGroup>

        <Field className="space-y-1.5">
          <Label className="block text-xs font-medium uppercase tracking-wider text-[#9CA986]">Max FPS</Label>
          <Listbox value={toListbox(props.maxFps)} onChange={(v: number) => props.onMaxFpsChange(fromListbox(v))}>
            <div className="relative">
              <ListboxButton
                data-testid="max-fps-button"
                className={`flex w-full items-center justify-between rounded-lg border border-[#8B9A7E]/40 bg-white/5 px-3 py-1.5 text-left ${FOCUS}`}
              >
                {fpsLabel(props.maxFps)}
                <svg aria-hidden="true" viewBox="0 0 20 20" className="size-4" fill="currentColor">
                  <path d="M5.5 7.5 10 12l4.5-4.5" stroke="currentColor" strokeWidth="1.5" fill="none" />
                </svg>
              </ListboxButton>
              <ListboxOptions className="absolute z-20 mt-1 max-h-56 w-full overflow-auto rounded-lg border border-[#8B9A7E]/30 bg-neutral-950 py-1 shadow-xl outline-none">
                {props.maxFpsOptions.map((fps) => (
                  <ListboxOption
                    key={fps ?? 'unlimited'}
                    value={toListbox(fps)}
                    data-testid={`max-fps-option-${fps ?? 'unlimited'}`}
                    className="cursor-pointer px-3 py-1.5 data-[focus]:bg-[#8B9A7E]/25 data-[selected]:font-semibold data-[selected]:text-[#B5CC9A]"
                  >
                    {fpsLabel(fps)}
                  </ListboxOption>
                ))}
              </ListboxOptions>
            </div>
          </Listbox>
        </Field>

        <Field className="flex items-center justify-between">
          <Label className="cursor-pointer">Show metrics</Label>
          <Switch
            checked={props.showMetrics}
            onChange={props.onShowMetricsChange}
            data-testid="show-metrics-switch"
            className={`group relative inline-flex h-6 w-11 items-center rounded-full bg-white/15 transition data-[checked]:bg-[#8B9A7E] ${FOCUS}`}
          >
            <span className="inline-block size-4 translate-x-1 rounded-full bg-[#B5CC9A] transition group-data-[checked]:translate-x-6 group-data-[checked]:bg-black" />
          </Switch>
        </Field>
      </PopoverPanel>
    </Popover>
  );
}
