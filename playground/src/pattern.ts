/**
 * The img2img view's built-in input for a page with no camera: a moving,
 * colourful picture drawn on a canvas. Everything in it is fully saturated
 * on purpose, so each of the model's looks (a grey sketch, a hue shift, a
 * tint) shows plainly against it, and it moves, so the round trip shows.
 */

/** Side of the square pattern, px: the img2img stream's input size. */
export const PATTERN_SIZE = 512;

/** Draws the pattern as it is `t` seconds in. */
export function drawPattern(ctx: CanvasRenderingContext2D, t: number): void {
  const s = PATTERN_SIZE;
  // A diagonal gradient whose hues turn slowly round the wheel.
  const hue = (t * 40) % 360;
  const sky = ctx.createLinearGradient(0, 0, s, s);
  sky.addColorStop(0, `hsl(${hue}, 90%, 55%)`);
  sky.addColorStop(0.5, `hsl(${hue + 120}, 90%, 50%)`);
  sky.addColorStop(1, `hsl(${hue + 240}, 90%, 55%)`);
  ctx.fillStyle = sky;
  ctx.fillRect(0, 0, s, s);

  // Stripes sweeping across, for edges in motion.
  ctx.fillStyle = 'rgba(255, 255, 255, 0.18)';
  const offset = (t * 60) % 64;
  for (let x = -64; x < s + 64; x += 64) ctx.fillRect(x + offset, 0, 20, s);

  // Three discs orbiting the centre, each its own colour.
  const colours = ['#ffd60a', '#ff2d95', '#00e5ff'];
  colours.forEach((colour, i) => {
    const a = t * (0.8 + i * 0.35) + (i * Math.PI * 2) / 3;
    const r = 120 + 40 * Math.sin(t * 0.7 + i);
    ctx.beginPath();
    ctx.arc(s / 2 + Math.cos(a) * r, s / 2 + Math.sin(a) * r, 58 - i * 8, 0, Math.PI * 2);
    ctx.fillStyle = colour;
    ctx.fill();
    ctx.lineWidth = 6;
    ctx.strokeStyle = '#111';
    ctx.stroke();
  });

  // Seconds and tenths, so a frame's age can be read off the output.
  ctx.font = 'bold 64px ui-monospace, monospace';
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.lineWidth = 8;
  ctx.strokeStyle = '#111';
  ctx.fillStyle = '#fff';
  const label = t.toFixed(1);
  ctx.strokeText(label, s / 2, s / 2);
  ctx.fillText(label, s / 2, s / 2);
}
