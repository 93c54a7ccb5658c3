// `ws` names the reason when a server picks no subprotocol although one was
// offered; browsers give no reason for any failed handshake
// (`ws`: 'Server sent no subprotocol'). Other runtimes word it their own way.
const NO_SUBPROTOCOL = /subprotocol|sec-websocket-protocol/i;

/**
 * Which wire format the next socket asks for: `framestream.v1`, or nothing
 * (a bare-JPEG server).
 *
 * A server that picks no subprotocol when offered one fails the handshake,
 * in `ws` (which says so) and in browsers (which say nothing about any
 * failure). In `mode: 'auto'` such a failure is followed at once by one try
 * without the subprotocol; if that one opens, the server counts as bare
 * until the next `connect()`. But a browser reports a refused handshake
 * (401, 503) the same way, so once this client has seen the server speak
 * framestream.v1 it never falls back: a bare finding that was really a
 * refusal would otherwise silence hello, metrics, latency and `send()`.
 */
export class WireFormat {
  /** `mode: 'bare'`, or `'auto'` found a bare server since the last `connect()`. */
  private bare: boolean;
  /** The socket being opened is the one try without the subprotocol. */
  private probing = false;
  /** A framestream.v1 connection was open on this client once. */
  private everFramed = false;

  constructor(private readonly mode: 'auto' | 'bare') {
    this.bare = mode === 'bare';
  }

  /** Whether the next socket asks for `framestream.v1`. */
  get asksFramed(): boolean {
    return !this.bare && !this.probing;
  }

  /** `connect()`: a bare server found earlier is not remembered; the server may have changed. */
  reset(): void {
    this.bare = this.mode === 'bare';
    this.probing = false;
  }

  /** A socket opened; `framed` when the server picked framestream.v1. */
  opened(framed: boolean): void {
    if (this.probing) this.bare = true; // the try without the subprotocol worked
    this.probing = false;
    if (framed) this.everFramed = true;
  }

  /**
   * A socket closed. Returns true when the next socket should be the one try
   * without the subprotocol, to be opened at once.
   *
   * @param socketError the message of its `error` event, `''` when it said nothing, `null` for none
   */
  closed(opened: boolean, socketError: string | null): boolean {
    const mayBeBare = socketError === '' || (socketError !== null && NO_SUBPROTOCOL.test(socketError));
    const probe = this.mode === 'auto' && !this.everFramed && !this.bare && !this.probing && !opened && mayBeBare;
    this.probing = probe;
    return probe;
  }
}
