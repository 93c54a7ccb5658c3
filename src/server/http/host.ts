import { ServerResponse, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/** What one stream claims on a host server. */
export interface HostRoute {
  /** Its WebSocket path and snapshot path (normalised), which no other route may take. */
  readonly paths: { readonly ws: string; readonly snapshot: string | false };
  /** The host server is closing: end this route's connections so the close can finish. */
  hostClosing(): void;
  /** True when this upgrade (by pathname) is this stream's. */
  claimsUpgrade(pathname: string): boolean;
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Answers the request and returns true, or returns false to pass it on. */
  request(req: IncomingMessage, res: ServerResponse): boolean;
}

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

interface Binding {
  routes: Set<HostRoute>;
  /** The host's own request listeners, called for everything no route takes. */
  originals: RequestListener[];
  onRequest: RequestListener;
  onUpgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
  /** The host's own `close` when it had one of its own (not the prototype's), restored on detach. */
  ownClose: Server['close'] | undefined;
  /** Our wrapper around it, ending the routes' connections first. */
  wrappedClose: Server['close'] | undefined;
}

// One binding per host server, shared by every stream on it, so streams can
// attach and detach in any order without wrapping each other's listeners.
const bindings = new WeakMap<Server, Binding>();

/** `'/ws/test/'` → `'/ws/test'`, so a path matches with and without its trailing slash. */
export function normalizePath(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  return trimmed === '' ? '/' : trimmed;
}

export function pathnameOf(url: string | undefined): string {
  const raw = url ?? '/';
  const q = raw.indexOf('?');
  return q === -1 ? raw : raw.slice(0, q);
}

/**
 * Attaches a route the way engine.io does: the host's `request` listeners
 * move behind one dispatcher that serves the routes' requests and hands every
 * other request to them unchanged; one `upgrade` listener takes only the
 * routes' paths. Returns the detach function, which restores the listeners
 * exactly once the last route is gone.
 */
export function attachRoute(server: Server, route: HostRoute): () => void {
  assertPathsFree(bindings.get(server), route);
  let binding = bindings.get(server);
  if (!binding) {
    const originals = server.listeners('request') as RequestListener[];
    const b: Binding = {
      routes: new Set(),
      originals,
      ownClose: undefined,
      wrappedClose: undefined,
      onRequest(req, res) {
        for (const r of b.routes) if (r.request(req, res)) return;
        for (const listener of b.originals) listener.call(server, req, res);
        // Nobody else listens: answer instead of leaving the request hanging.
        if (b.originals.length === 0 && server.listenerCount('request') === 1 && !res.headersSent) {
          res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
        }
      },
      onUpgrade(req, socket, head) {
        const pathname = pathnameOf(req.url);
        for (const r of b.routes) {
          if (r.claimsUpgrade(pathname)) return r.upgrade(req, socket, head);
        }
        // Other upgrade handlers (Vite HMR, another ws server) see the
        // request too and take theirs. When ours is the only one, Node would
        // have handed the request to the app's request handler, so do that.
        if (server.listenerCount('upgrade') === 1) answerAsRequest(server, req, socket);
      },
    };
    server.removeAllListeners('request');
    server.on('request', b.onRequest);
    server.on('upgrade', b.onUpgrade);
    // Upgraded sockets are no longer the HTTP server's, so `server.close()`
    // would wait for every viewer to leave on its own. Ending them first
    // makes the host's shutdown as prompt as it is without streams.
    b.ownClose = Object.prototype.hasOwnProperty.call(server, 'close') ? server.close : undefined;
    const hostClose = server.close;
    b.wrappedClose = server.close = function close(this: Server, ...args: Parameters<Server['close']>) {
      for (const r of [...b.routes]) r.hostClosing();
      return hostClose.apply(this, args);
    } as Server['close'];
    bindings.set(server, b);
    binding = b;
  }
  binding.routes.add(route);
  const b = binding;
  return () => {
    b.routes.delete(route);
    if (b.routes.size > 0 || bindings.get(server) !== b) return;
    bindings.delete(server);
    server.off('upgrade', b.onUpgrade);
    // Someone who wrapped `close` after us keeps their wrapper (ours, left
    // inside it, has no routes left to end).
    if (server.close === b.wrappedClose) {
      if (b.ownClose) server.close = b.ownClose;
      else delete (server as { close?: unknown }).close; // back to the prototype's
    }
    // Put the host's listeners back where the dispatcher stood, keeping any
    // listener added after us in its place.
    const current = server.listeners('request') as RequestListener[];
    server.removeAllListeners('request');
    for (const listener of current) {
      if (listener === b.onRequest) for (const original of b.originals) server.on('request', original);
      else server.on('request', listener);
    }
  };
}

/** Two streams on one host may not share a path: the second would never see a viewer. */
function assertPathsFree(binding: Binding | undefined, route: HostRoute): void {
  if (!binding) return;
  const mine = [route.paths.ws, route.paths.snapshot].filter((p): p is string => p !== false);
  for (const other of binding.routes) {
    const taken = [other.paths.ws, other.paths.snapshot];
    const clash = mine.find((p) => taken.includes(p));
    if (clash !== undefined) {
      const which = clash === route.paths.ws ? 'path' : 'snapshotPath';
      throw new RangeError(
        `Expected \`${which}\` to be free on this server, but '${clash}' is already taken by another stream; give each stream its own path`,
      );
    }
  }
}

// Mirrors what Node does with an upgrade request nobody listens for: it
// becomes an ordinary request, answered by the app, and the socket closes after.
function answerAsRequest(server: Server, req: IncomingMessage, socket: Duplex): void {
  try {
    const res = new ServerResponse(req);
    res.shouldKeepAlive = false;
    res.assignSocket(socket as Socket);
    res.once('finish', () => {
      res.detachSocket(socket as Socket);
      // Destroyed after the flush, not just ended: a half-open client must not keep it.
      socket.once('finish', () => socket.destroy());
      socket.end();
    });
    server.emit('request', req, res);
  } catch {
    socket.destroy();
  }
}
