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

const fpsLabel = (fps: number | null) => (fps === null ? 'Unlimited' : `${fps} fps`);
// Listbox treats `null` as "nothing selected", so "no cap" travels as 0 inside it.
const toListbox = (fps: number | null) => fps ?? 0;
const fromListbox = (value: number) => (value > 0 ? value : null);

/**
 * The settings popover of {@link Controls}: fit mode, FPS cap, metrics on/off.
 * Panels are positioned inside the popover instead of portalled, so the
 * listbox inside it never counts as a click outside, and the panel's
 * styles (framestream/react/styles.css) reach them.
 */
export function SettingsMenu(props: SettingsMenuProps) {
  return (
    <Popover className="fs-settings">
      <PopoverButton aria-label="Settings" data-testid="settings-button" className="fs-icon-button fs-focusable">
        <svg aria-hidden="true" viewBox="0 0 24 24" width="20" height="20" className="fs-icon" fill="none" stroke="currentColor" strokeWidth="1.8">
          <path d="M4 7h10M18 7h2M4 17h4M12 17h8" strokeLinecap="round" />
          <circle cx="16" cy="7" r="2" />
          <circle cx="10" cy="17" r="2" />
        </svg>
      </PopoverButton>
      <PopoverPanel data-testid="settings-panel" className="fs-settings-panel">
        <RadioGroup value={props.fit} onChange={props.onFitChange} aria-label="Fit mode" className="fs-settings-group">
          <div className="fs-settings-label">Fit mode</div>
          <div className="fs-segmented">
            {(['cover', 'contain'] as const).map((mode) => (
              <Radio key={mode} value={mode} data-testid={`fit-${mode}`} className="fs-segmented-option fs-focusable">
                {mode}
              </Radio>
            ))}
          </div>
        </RadioGroup>

        <Field className="fs-settings-group">
          <Label className="fs-settings-label">Max FPS</Label>
          <Listbox value={toListbox(props.maxFps)} onChange={(v: number) => props.onMaxFpsChange(fromListbox(v))}>
            <div className="fs-select">
              <ListboxButton data-testid="max-fps-button" className="fs-select-button fs-focusable">
                {fpsLabel(props.maxFps)}
                <svg aria-hidden="true" viewBox="0 0 20 20" width="16" height="16" className="fs-icon fs-icon-sm" fill="none">
                  <path d="M5.5 7.5 10 12l4.5-4.5" stroke="currentColor" strokeWidth="1.5" />
                </svg>
              </ListboxButton>
              <ListboxOptions className="fs-select-options">
                {props.maxFpsOptions.map((fps) => (
                  <ListboxOption
                    key={fps ?? 'unlimited'}
                    value={toListbox(fps)}
                    data-testid={`max-fps-option-${fps ?? 'unlimited'}`}
                    className="fs-select-option"
                  >
                    {fpsLabel(fps)}
                  </ListboxOption>
                ))}
              </ListboxOptions>
            </div>
          </Listbox>
        </Field>

        <Field className="fs-settings-row">
          <Label className="fs-settings-row-label">Show metrics</Label>
          <Switch
            checked={props.showMetrics}
            onChange={props.onShowMetricsChange}
            data-testid="show-metrics-switch"
            className="fs-switch fs-focusable"
          >
            <span className="fs-switch-thumb" />
          </Switch>
        </Field>
      </PopoverPanel>
    </Popover>
  );
}
