import type { ClientStatus } from 'framestream/client';

function ordinal(n: number): string {
  const tens = n % 100;
  return `${n}${tens >= 11 && tens <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th')}`;
}

export interface Img2imgNoticeProps {
  status: ClientStatus;
  /** Place in line while queued, else `null`. */
  position: number | null;
  /** Whether any output frame has come yet (then the canvas speaks for itself). */
  painted: boolean;
}

/**
 * What the empty canvas of the img2img view means: before Connect, what
 * Connect will do; while queued, that the session starts by itself and how
 * far back in line this viewer is. The panel says the same in small; this
 * says it where the user is looking. It never takes a click.
 */
export function Img2imgNotice({ status, position, painted }: Img2imgNoticeProps) {
  let text: string | null = null;
  if (status === 'queued') {
    text =
      position === null
        ? 'Every session is taken. Yours starts by itself when one ends.'
        : `Every session is taken: you are ${ordinal(position)} in line. Yours starts by itself when one ends.`;
  } else if (status === 'disconnected' && !painted) {
    text = 'Connect to start a session: your camera (or a moving pattern, without one) goes through the model, and what it makes shows here.';
  }
  if (!text) return null;
  return (
    <p
      role="status"
      data-testid="img2img-notice"
      className="pointer-events-none fixed inset-x-6 top-1/2 mx-auto max-w-md -translate-y-1/2 text-center text-sm text-balance text-sage-300/80"
    >
      {text}
    </p>
  );
}
