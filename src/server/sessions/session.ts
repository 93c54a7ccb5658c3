import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'eventemitter3';
import { FrameStreamError, type FrameMetrics } from '../../protocol/index.js';
import { MemoryChannel } from '../channel/channel.js';
import { Producer, type ProducerOptions } from '../producer.js';
import type { SourceAdapter } from '../sources/adapter.js';
import type { FrameSource, InputFrame, PushFrame, Session, SessionEvents, SessionHandler, ViewerHandle } from '../types.js';
import { Audience } from '../viewers/audience.js';
import type { Viewer } from '../viewers/viewer.js';
import { InputSlot } from './input.js';

const secret = (bytes: number): string => randomBytes(bytes).toString('base64url');
const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export interface SessionRoomOptions extends Omit<ProducerOptions, 'publish' | 'annotate' | 'finished'> {
  identity: unknown;
  /** The session asks to end (its source finished, the model called `end()`, it failed to start). */
  end(session: SessionImpl, reason: string, code: 'ended' | 'failed'): void;
}

/**
 * A session and its room: its own channel, fan-out and producer, so its
 * frames reach only its viewer and spectators, encoded once for all of
 * them. The model sees it through the {@link Session} interface.
 */
export class SessionImpl extends EventEmitter<SessionEvents> implements Session {
  readonly id = secret(9);
  /** The secret that resumes it; never shown to spectators. */
  readonly token = secret(24);
  readonly identity: unknown;
  readonly channel = new MemoryChannel();
  readonly audience: Audience;
  readonly producer: Producer;
  /** The viewer it belongs to, while attached. */
  owner: Viewer | undefined;
  /** Server wall clock when it started running, or `undefined` while queued. */
  startedAt: number | undefined;
  expiresAt: number | null = null;
  /** Called after each input frame offered (a producer-served session forwards it from there). */
  onInput: (() => void) | undefined;
  private currentParams: Readonly<Record<string, unknown>> = Object.freeze({});
  private readonly input: InputSlot;
  private readonly controller = new AbortController();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly o: SessionRoomOptions,
    ack: (seq: number) => void,
  ) {
    super();
    this.identity = o.identity;
    this.input = new InputSlot(ack);
    this.audience = new Audience(1000 / o.fps, o.error);
    this.unsubscribe = this.channel.subscribe(this.audience.deliver);
    this.producer = new Producer({
      ...o,
      publish: (frame) => this.channel.publish(frame),
      annotate: (metrics) => this.annotate(metrics),
      finished: () => o.end(this, 'The model ended the session', 'ended'),
      eager: true,
    });
  }

  get viewer(): ViewerHandle | undefined {
    return this.owner?.handle;
  }

  get params(): Readonly<Record<string, unknown>> {
    return this.currentParams;
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get ended(): boolean {
    return this.controller.signal.aborted;
  }

  frames(): AsyncIterableIterator<InputFrame> {
    return this.input.frames();
  }

  latestFrame(): InputFrame | undefined {
    return this.input.peek();
  }

  push(frame: PushFrame, metrics?: FrameMetrics): void {
    this.producer.push(frame, metrics);
  }

  end(reason = 'The session was ended'): void {
    if (!this.ended) this.o.end(this, reason, 'ended');
  }

  /** Runs the app's session function and makes what it returns the room's source. */
  async start(handler: SessionHandler): Promise<void> {
    this.startedAt = Date.now();
    let source: unknown;
    try {
      source = await handler(this);
    } catch (cause) {
      this.o.error(new FrameStreamError('ERR_SOURCE_FAILED', `The session function threw: ${message(cause)}`, { cause }));
      return this.o.end(this, 'The model failed to start', 'failed');
    }
    if (this.ended) return;
    const iterable =
      typeof source === 'function' ||
      (typeof source === 'object' && source !== null && Symbol.asyncIterator in source);
    this.producer.setSource(iterable ? (source as FrameSource) : 'push');
  }

  /**
   * Starts a session a producer serves: its frames come through `source`
   * (the ingest's), its input is taken with {@link takeInput}.
   */
  serve(source: SourceAdapter): void {
    this.startedAt = Date.now();
    this.producer.useAdapter(source);
  }

  /** The newest input frame not yet taken, taken now (and acknowledged to the viewer). */
  takeInput(): InputFrame | undefined {
    return this.input.shift();
  }

  setParams(params: Record<string, unknown>): void {
    this.currentParams = Object.freeze({ ...params });
    this.safeEmit('params', this.currentParams);
  }

  offerInput(frame: InputFrame): void {
    this.input.offer(frame);
    this.onInput?.();
  }

  /** Whether the room has anyone to show frames to; production pauses without. */
  updateDemand(): void {
    this.producer.setDemand(!this.ended && this.audience.size > 0);
  }

  /** Called by the manager once: stops everything the session holds. */
  close(reason: string): void {
    if (this.ended) return;
    this.controller.abort(new FrameStreamError('ERR_SESSION_ENDED', reason));
    this.input.end();
    this.producer.close();
    this.unsubscribe();
    this.channel.close();
    this.safeEmit('end', reason);
    this.removeAllListeners();
    this.onInput = undefined;
  }

  // Output frames name the input they answer: the last one the model took
  // from frames(), and how long since (unless the model says itself).
  private annotate(metrics: FrameMetrics | undefined): FrameMetrics | undefined {
    const taken = this.input.lastTaken;
    if (!taken) return metrics;
    const inferenceMs = metrics?.inferenceMs ?? Math.round((performance.now() - taken.at) * 100) / 100;
    // A producer serving the session may name the input it answered itself.
    return { ...metrics, inputSeq: metrics?.inputSeq ?? taken.seq, inferenceMs };
  }

  private safeEmit<E extends keyof SessionEvents>(event: E, ...args: Parameters<SessionEvents[E]>): void {
    try {
      (this.emit as (e: string, ...a: unknown[]) => boolean)(event, ...args);
    } catch (cause) {
      this.o.error(new FrameStreamError('ERR_HOOK_FAILED', `A session \`${event}\` listener threw: ${message(cause)}`, { cause }));
    }
  }
}
