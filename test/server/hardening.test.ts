import type { IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { SUBPROTOCOL, type FrameStreamError } from '../../src/protocol/index.js';
import { createFrameStreamServer, type FrameStreamServerOptions } from '../../src/server/index.js';
import { closeServer, createHostServer, listen } from '../support/net.js';
import { openViewer, rawUpgradeStatus, TestViewer, waitFor } from './helpers.js';

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function setup(options: Partial<FrameStreamServerOptions> = {}) {
  const server = createHostServer();
  cleanups.push(() => closeServer(server));
  const stream = createFrameStreamServer({ server, source: 'pattern', width: 32, height: 32, ...options });
  cleanups.push(() => stream.close());
  const errors: FrameStreamError[] = [];
  stream.on('error', (e) => errors.push(e));
  const viewerErrors: FrameStreamError[] = [];
  stream.on('viewerError', (e) => viewerErrors.push(e));
  const port = await listen(server);
  const url = `ws://127.0.0.1:${port}/ws/test/`;
  const connect = async (headers: Record<string, string> = {}, protocol: string | undefined = SUBPROTOCOL) => {
    const v = await openViewer(url, protocol, { headers });
    cleanups.push(() => v.close());
    return v;
  };
  return { stream, port, url, errors, viewerErrors, connect };
}

describe('createFrameStreamServer', () => {
  describe('options', () => {
    const server = createHostServer();
    const cases: [string, Partial<FrameStreamServerOptions> & Record<string, unknown>, ErrorConstructor, RegExp][] = [
      ['no server', { server: undefined }, TypeError, /`server`.*got `undefined`/],
      ['a non-server', { server: {} as never }, TypeError, /`server`/],
      ['fps 0', { fps: 0 }, RangeError, /`fps`.*\(0, 240\].*got `0`/],
      ['fps as a string', { fps: '30' as never }, RangeError, /`fps`.*got `"30"`/],
      ['quality 101', { quality: 101 }, RangeError, /`quality`.*got `101`/],
      ['a relative path', { path: 'ws' }, TypeError, /`path`.*got `"ws"`/],
      ['an unknown source', { source: 'webcam' as never }, TypeError, /`source`.*got `"webcam"`/],
      ['width beyond maxFrameWidth', { width: 300, maxFrameWidth: 256 }, RangeError, /`width`.*\[1, 256\]/],
      ['a zero rate limit', { controlRateLimit: { messages: 0, perMs: 1000 } }, RangeError, /`controlRateLimit\.messages`/],
      ['a bad origin list', { allowedOrigins: [1] as never }, TypeError, /`allowedOrigins`/],
      ['maxClients 0', { maxClients: 0 }, RangeError, /`maxClients`/],
    ];
    for (const [name, options, type, message] of cases) {
      it(`rejects ${name} at once, naming the option`, () => {
        const create = () => createFrameStreamServer({ server, ...options } as FrameStreamServerOptions);
        expect(create).toThrow(type);
        expect(create).toThrow(message);
        // A rejected call attaches nothing.
        expect(server.listenerCount('upgrade')).toBe(0);
      });
    }
  });

  describe('authorize', () => {
    const byToken = (req: IncomingMessage) => req.headers.authorization === 'Bearer sesame';

    it('lets an authorized viewer in and answers 401 to the rest, snapshots included', async () => {
      const { port, connect } = await setup({ authorize: byToken });
      await connect({ authorization: 'Bearer sesame' });
      expect(await rawUpgradeStatus(port, '/ws/test/')).toBe('HTTP/1.1 401 Unauthorized');
      expect((await fetch(`http://127.0.0.1:${port}/test/random`)).status).toBe(401);
      const ok = await fetch(`http://127.0.0.1:${port}/test/random`, { headers: { authorization: 'Bearer sesame' } });
      expect(ok.status).toBe(200);
    });

    it('accepts an async answer', async () => {
      const { connect } = await setup({ authorize: async (req) => byToken(req) });
      await connect({ authorization: 'Bearer sesame' });
    });

    it('answers 500 and reports ERR_HOOK_FAILED when authorize throws, without crashing', async () => {
      const { port, errors, stream } = await setup({
        authorize: () => {
          throw new Error('auth backend down');
        },
      });
      expect(await rawUpgradeStatus(port, '/ws/test/')).toBe('HTTP/1.1 500 Internal Server Error');
      expect(errors.map((e) => e.code)).toEqual(['ERR_HOOK_FAILED']);
      expect(errors[0]!.message).toMatch(/auth backend down/);
      expect(stream.getStats().rejectedConnections).toBe(1);
    });

    it('answers 503 and reports ERR_HANDSHAKE_TIMEOUT when authorize never answers', async () => {
      const { port, errors } = await setup({ authorize: () => new Promise<boolean>(() => {}), handshakeTimeout: 100 });
      expect(await rawUpgradeStatus(port, '/ws/test/')).toBe('HTTP/1.1 503 Service Unavailable');
      expect(errors.map((e) => e.code)).toEqual(['ERR_HANDSHAKE_TIMEOUT']);
    });
  });

  describe('allowedOrigins', () => {
    it('admits listed origins and non-browser clients, refusing others with 403', async () => {
      const { port, connect } = await setup({ allowedOrigins: ['https://app.example'] });
      await connect({ origin: 'https://app.example' });
      await connect();
      expect(await rawUpgradeStatus(port, '/ws/test/', { Origin: 'https://evil.example' })).toBe('HTTP/1.1 403 Forbidden');
    });

    it('drives the snapshot CORS headers', async () => {
      const { port } = await setup({ allowedOrigins: (origin) => origin?.endsWith('.example') ?? false });
      const snap = (origin: string) => fetch(`http://127.0.0.1:${port}/test/random`, { headers: { origin } });
      const ok = await snap('https://app.example');
      expect(ok.status).toBe(200);
      expect(ok.headers.get('access-control-allow-origin')).toBe('https://app.example');
      expect(ok.headers.get('vary')).toBe('Origin');
      const refused = await snap('https://elsewhere.test');
      expect(refused.status).toBe(403);
      expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    });
  });

  describe('maxClients', () => {
    it('answers 503 beyond the limit and admits again once a viewer leaves', async () => {
      const { port, connect, stream, errors } = await setup({ maxClients: 2 });
      const first = await connect();
      await connect();
      expect(await rawUpgradeStatus(port, '/ws/test/')).toBe('HTTP/1.1 503 Service Unavailable');
      expect(errors.map((e) => e.code)).toContain('ERR_TOO_MANY_CLIENTS');
      await first.close();
      await waitFor(() => stream.clientCount === 1, 'the first viewer to be gone');
      await connect();
    });
  });

  describe('maxPayload', () => {
    it('closes a connection that sends an oversize message with 1009', async () => {
      const { connect, errors, viewerErrors } = await setup({ maxPayload: 1024 });
      const v = await connect();
      v.send({ type: 'control', data: 'x'.repeat(2000) });
      await waitFor(() => v.closeCode !== undefined, 'the connection to close');
      expect(v.closeCode).toBe(1009);
      await waitFor(() => viewerErrors.some((e) => e.code === 'ERR_CONTROL_TOO_LARGE'), 'the viewerError event');
      expect(errors).toEqual([]);
    });
  });

  describe('controlRateLimit', () => {
    it('answers control messages over the limit with an error, then closes on persistent abuse', async () => {
      const { stream, connect, errors, viewerErrors } = await setup({ controlRateLimit: { messages: 5, perMs: 60_000 } });
      const received: unknown[] = [];
      stream.on('control', (data) => received.push(data));
      const v: TestViewer = await connect();
      for (let i = 0; i < 7; i++) v.send({ type: 'control', data: i });
      v.send({ type: 'ping', id: 1, clientTime: 0 });
      await waitFor(() => v.ofType('pong').length === 1 && v.ofType('error').length === 2, 'a pong and two refusals');
      expect(received).toEqual([0, 1, 2, 3, 4]);
      expect(v.ofType('error')[0]!.code).toBe('ERR_CONTROL_RATE_LIMITED');
      expect(v.closeCode).toBeUndefined();
      for (let i = 0; i < 10; i++) v.send({ type: 'control', data: i });
      await waitFor(() => v.closeCode !== undefined, 'the abusive connection to close');
      expect(v.closeCode).toBe(1008);
      expect(viewerErrors.length).toBeGreaterThan(0);
      expect(viewerErrors.every((e) => e.code === 'ERR_CONTROL_RATE_LIMITED')).toBe(true);
      expect(errors).toEqual([]);
    });

    it('gives pings a budget of their own, so clock pings never use up the app\'s control budget', async () => {
      const { stream, connect } = await setup({ controlRateLimit: { messages: 2, perMs: 60_000 } });
      const received: unknown[] = [];
      stream.on('control', (data) => received.push(data));
      const v: TestViewer = await connect();
      for (let i = 0; i < 10; i++) v.send({ type: 'ping', id: i, clientTime: 0 });
      v.send({ type: 'control', data: 'a' });
      v.send({ type: 'control', data: 'b' });
      await waitFor(() => received.length === 2 && v.ofType('pong').length === 10, 'both control messages and every pong');
      expect(v.ofType('error')).toEqual([]);
    });
  });

  describe('onControl', () => {
    it('reports a throwing or rejecting hook as ERR_HOOK_FAILED and keeps the connection', async () => {
      let calls = 0;
      const { connect, errors } = await setup({
        onControl: async () => {
          calls++;
          if (calls === 1) throw new Error('sync-ish failure');
          await Promise.reject(new Error('async failure'));
        },
      });
      const v = await connect();
      v.send({ type: 'control', data: 1 });
      v.send({ type: 'control', data: 2 });
      v.send({ type: 'ping', id: 1, clientTime: 0 });
      await waitFor(() => errors.length === 2 && v.ofType('pong').length === 1, 'both hook failures and the pong');
      expect(errors.map((e) => e.code)).toEqual(['ERR_HOOK_FAILED', 'ERR_HOOK_FAILED']);
      expect(v.closeCode).toBeUndefined();
    });
  });
});
