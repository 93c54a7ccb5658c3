import type { Server as HttpServer } from 'node:http';
import type { Plugin } from 'vite';
import { createFrameStreamServer, type FrameStreamServerOptions } from '../server/index.js';

/**
 * Options of the {@link framestream} Vite plugin: every option of
 * `createFrameStreamServer` except `server`, which the plugin takes from
 * Vite (the dev server, or `vite preview`'s server).
 */
export type FrameStreamPluginOptions = Omit<FrameStreamServerOptions, 'server'>;

// The part of Vite's dev and preview servers the plugin uses, spelled out so
// this module needs nothing from `vite` at runtime.
interface HostServer {
  httpServer: HttpServer | null;
  config: { logger: { warn(msg: string): void } };
}

/**
 * A Vite plugin that serves a framestream stream from Vite's own HTTP server,
 * in `vite` (dev, with HMR) and in `vite preview`.
 *
 * The stream only takes the upgrades and requests for its own paths (the
 * WebSocket path and the snapshot path), so Vite's HMR socket (subprotocol
 * `vite-hmr`) and every other route keep working. The stream closes when
 * Vite's server closes.
 *
 * Only types are imported from `vite`, so loading this module does not need
 * Vite installed; the plugin is just an object Vite calls.
 *
 * @example
 * // vite.config.ts
 * import { defineConfig } from 'vite';
 * import { framestream } from 'framestream/vite';
 *
 * export default defineConfig({
 *   plugins: [framestream({ source: 'noise', path: '/ws/test/' })],
 * });
 */
export function framestream(options: FrameStreamPluginOptions = {}): Plugin {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`Expected \`options\` to be an object, got \`${String(options)}\``);
  }
  if ('server' in options) {
    throw new TypeError('Expected no `server` option: the plugin attaches to Vite\'s own server');
  }

  const attach = (host: HostServer): void => {
    const httpServer = host.httpServer;
    // `server.middlewareMode` leaves Vite without an HTTP server of its own;
    // the app that owns the server must call createFrameStreamServer itself.
    if (!httpServer) {
      host.config.logger.warn(
        '[framestream] Vite has no HTTP server (middleware mode): attach createFrameStreamServer to your own server instead.',
      );
      return;
    }
    // The stream answers its snapshot path ahead of Vite's middleware stack
    // and hands every other request to it unchanged, so no middleware of
    // ours is needed.
    const stream = createFrameStreamServer({ ...options, server: httpServer });
    httpServer.once('close', () => {
      void stream.close();
    });
  };

  return {
    name: 'framestream',
    configureServer(server) {
      attach(server as unknown as HostServer);
    },
    configurePreviewServer(server) {
      attach(server as unknown as HostServer);
    },
  };
}
