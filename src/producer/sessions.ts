import { CreditGate } from './credits.js';
import type { ProducerSession } from './types.js';

interface Entry<T> {
  session: ProducerSession;
  gate: CreditGate<T>;
}

/**
 * The sessions a producer serves on its current connection, each with its
 * own credits: a slow viewer's session holds back only its own frames, and
 * with no credit in hand only a session's newest frame waits (latest wins).
 * Pure bookkeeping over a generic frame, like {@link CreditGate}.
 */
export class SessionTable<T> {
  private readonly entries = new Map<number, Entry<T>>();

  /** Sessions by target, for the producer's `sessions` getter. */
  readonly view = new Map<number, ProducerSession>();

  /** Frames replaced while waiting for a session's credit, over every session. */
  replaced = 0;

  /** A `sessionStart`: a new session, or one a reconnect told of again. */
  start(session: ProducerSession, credits: number): ProducerSession {
    const gate = new CreditGate<T>();
    gate.open(credits);
    this.entries.set(session.target, { session, gate });
    this.view.set(session.target, session);
    return session;
  }

  /** A `sessionParams`: the session, with its params replaced; `undefined` for one not known here. */
  params(target: number, params: Record<string, unknown>): ProducerSession | undefined {
    const entry = this.entries.get(target);
    if (!entry) return undefined;
    entry.session.params = params;
    return entry.session;
  }

  get(target: number): ProducerSession | undefined {
    return this.entries.get(target)?.session;
  }

  /** A `sessionEnd`: forgets the session and a frame it held. */
  end(target: number): ProducerSession | undefined {
    const entry = this.entries.get(target);
    if (!entry) return undefined;
    this.entries.delete(target);
    this.view.delete(target);
    return entry.session;
  }

  /**
   * A frame for `target`: returned to send now when the session has a credit
   * in hand, held otherwise (`undefined`), `null` for a session not known here.
   */
  offer(target: number, frame: T): T | undefined | null {
    const entry = this.entries.get(target);
    if (!entry) return null;
    if (entry.gate.holding) this.replaced++;
    return entry.gate.offer(frame);
  }

  /** A `credit` for `target`: the frame that session held, to send now, if any. */
  credit(target: number, n: number): T | undefined {
    return this.entries.get(target)?.gate.credit(n);
  }

  /** Gives a credit back for a frame that never went out (held from before, now too large). */
  refund(target: number): void {
    this.entries.get(target)?.gate.credit(1);
  }

  /** The connection ended: every session is gone from it (the server tells the next one of those still open). */
  clear(): ProducerSession[] {
    const sessions = [...this.view.values()];
    this.entries.clear();
    this.view.clear();
    return sessions;
  }
}
