/**
 * The FPS cap as a story arg. Storybook's select control needs string keys,
 * and the panel's cap is a number or `null` for none, so the arg holds a key
 * (`'Unlimited'`, `'30 fps'`) and these convert at the edge.
 */
export const FPS_CAPS = [null, 60, 30, 15, 10, 5, 1] as const;

export type FpsCapKey = 'Unlimited' | `${number} fps`;

export const fpsCapKey = (fps: number | null): FpsCapKey => (fps === null ? 'Unlimited' : `${fps} fps`);

export const fpsCapValue = (key: FpsCapKey): number | null => (key === 'Unlimited' ? null : Number.parseInt(key, 10));

/** argTypes entry for an FPS-cap arg: a select over the panel's caps. */
export const FPS_CAP_ARG = {
  control: 'select',
  options: FPS_CAPS.map(fpsCapKey),
} as const;
