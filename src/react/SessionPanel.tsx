import { useEffect, useId, useRef, useState } from 'react';
import type { SessionClient, SessionInfo } from './session.js';

/** "1st", "2nd", "3rd", "11th", "22nd". */
export function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}

/** `m:ss` of a duration in ms, rounded up, never negative. */
export function remaining(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** The session time left, redrawn once a second by itself (not the whole panel). */
function TimeLeft({ expiresAt }: { expiresAt: number }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [expiresAt]);
  const left = expiresAt - now;
  return (
    <span className="fs-session-time" data-testid="session-time-left" data-value={Math.max(0, Math.ceil(left / 1000))}>
      {remaining(left)} left
    </span>
  );
}

/**
 * Where this viewer stands in an interactive stream: queued (and how far
 * back), in a session (and how long it has left), watching, or ended (and
 * why).
 */
export function SessionStatus({ session }: { session: SessionInfo }) {
  return (
    <div className="fs-session" data-testid="session" data-session={session.state}>
      {session.state === 'queued' && (
        <p role="status" className="fs-session-message" data-testid="session-queue" data-value={session.position ?? ''}>
          {session.position === null ? 'Queued' : `Queued: ${ordinal(session.position)} in line`}
        </p>
      )}
      {session.state === 'active' && (
        <p className="fs-session-message">
          {session.spectator ? 'Watching a session' : 'Your session'}
          {session.expiresAt !== null && (
            <>
              {' · '}
              <TimeLeft expiresAt={session.expiresAt} />
            </>
          )}
        </p>
      )}
      {session.state === 'ended' && (
        <>
          <p role="status" className="fs-session-message" data-testid="session-ended">
            Session ended
          </p>
          {session.reason && (
            <p className="fs-session-detail" data-testid="session-reason">
              {session.reason}
            </p>
          )}
        </>
      )}
    </div>
  );
}

/**
 * The prompt box. Each change is sent `delay` ms after the user stops
 * typing, so a word typed is one message, not one per key; a change still
 * waiting goes at once on blur or Enter. The text stays the user's: a
 * re-render never resets it.
 */
export function PromptField({
  onChange,
  delay,
  defaultValue,
}: {
  onChange: (prompt: string) => void;
  delay: number;
  defaultValue: string;
}) {
  const id = useId();
  const [value, setValue] = useState(defaultValue);
  const pending = useRef<{ timer: ReturnType<typeof setTimeout>; value: string } | null>(null);
  const onChangeRef = useRef(onChange);
  onChangeRef.current = onChange;

  const flush = () => {
    const p = pending.current;
    if (!p) return;
    clearTimeout(p.timer);
    pending.current = null;
    onChangeRef.current(p.value);
  };
  // Unmounted with a change waiting: it is dropped with the panel, not sent later.
  useEffect(() => () => {
    if (pending.current) clearTimeout(pending.current.timer);
  }, []);

  return (
    <div className="fs-prompt">
      <label htmlFor={id} className="fs-prompt-label">
        Prompt
      </label>
      <textarea
        id={id}
        rows={2}
        value={value}
        placeholder="Describe the look…"
        data-testid="prompt-input"
        className="fs-prompt-input fs-focusable"
        onChange={(e) => {
          const next = e.target.value;
          setValue(next);
          if (pending.current) clearTimeout(pending.current.timer);
          pending.current = { value: next, timer: setTimeout(flush, delay) };
        }}
        onBlur={flush}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && !e.shiftKey) {
            e.preventDefault();
            flush();
          }
        }}
      />
    </div>
  );
}

/**
 * Sends the prompt as the session's params (`onParams`, else
 * `client.setParams({ prompt })`), and again when a session becomes active,
 * so a prompt typed while queued (or the box's initial text) is the one
 * the session starts with.
 */
export function usePromptParams(
  client: unknown,
  session: SessionInfo | null,
  onParams: ((params: { prompt: string }) => void) | undefined,
  initialPrompt = '',
): (prompt: string) => void {
  // A prompt the box starts with is the session's first params.
  const last = useRef<string | null>(initialPrompt || null);
  const target = useRef({ client, onParams });
  target.current = { client, onParams };
  const send = useRef((prompt: string) => {
    last.current = prompt;
    const { client: c, onParams: on } = target.current;
    if (on) on({ prompt });
    else (c as Partial<SessionClient> | null)?.setParams?.({ prompt });
  }).current;
  const active = session?.state === 'active' && !session.spectator;
  useEffect(() => {
    if (active && last.current !== null) send(last.current);
  }, [active, send]);
  return send;
}
