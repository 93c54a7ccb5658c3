import type { IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createFrameStreamServer, SERVER_DEFAULTS } from '../../src/server/index.js';
import { createHostServer } from '../support/net.js';
import {
  clientFrame,
  handshakeOutcome,
  httpRequest,
  rawUpgrade,
  runCleanups,
  sleep,
  startStream,
  Viewer,
  waitFor,
  type Cleanups,
} from './support.js';

const cleanups: Cleanups = [];
afterEach(() => runCleanups(cleanups));

const tokenOf = (req: IncomingMessage) => new URL(req.url ?? '/', 'http://localhost').searchParams.get('token');

/** Opens a viewer that may be refused, registering its cleanup. */
function attempt(url: string, options: ConstructorParameters<typeof Viewer>[2] = {}, protocol: string | null = null): Viewer {
  const v = new Viewer(url, protocol, options);
  cleanups.push(() => v.close());
  return v;
}

describe('FrameStreamServer access control', () => {
  describe('authorize', () => {
    it('admits an upgrade with the right token in a query parameter and answers 401 without it', async () => {
      const seen: string[] = [];
      const f = await startStream(cleanups, {
        authorize: (req) => {
          seen.push(req.url ?? '');
          return tokenOf(req) === 'secret';
        },
      });
      expect(await handshakeOutcome(attempt(f.url))).toBe(401);
      expect(await handshakeOutcome(attempt(`${f.url}?token=wrong`))).toBe(401);
      const ok = attempt(`${f.url}?token=secret`);
      expect(await handshakeOutcome(ok)).toBe('open');
      await waitFor(() => ok.binary.length > 0, 'a frame for the authorized viewer');
      expect(f.stream.clientCount).toBe(1);
      expect(f.stream.getStats().rejectedConnections).toBe(2);
      expect(seen).toEqual(['/ws/test/', '/ws/test/?token=wrong', '/ws/test/?token=secret']);
    });

    it('accepts a bearer token in a header, decided asynchronously', async () => {
      const f = await startStream(cleanups, {
        authorize: async (req) => {
          await sleep(20); // e.g. a session lookup
          return req.headers.authorization === 'Bearer s3cret';
        },
      });
      expect(await handshakeOutcome(attempt(f.url, { headers: { Authorization: 'Bearer nope' } }))).toBe(401);
      expect(await handshakeOutcome(attempt(f.url, { headers: { Authorization: 'Bearer s3cret' } }))).toBe('open');
    });

    it('refuses with 500 and reports ERR_HOOK_FAILED when the hook throws or rejects, and the host keeps serving', async () => {
      let mode: 'throw' | 'reject' = 'throw';
      const f = await startStream(cleanups, {
        authorize: (): Promise<boolean> => {
          if (mode === 'throw') throw new Error('session store down');
          return Promise.reject(new Error('session store timed out'));
        },
      });
      expect(await handshakeOutcome(attempt(f.url))).toBe(500);
      mode = 'reject';
      expect(await handshakeOutcome(attempt(f.url))).toBe(500);
      expect(f.errors.map((e) => e.code)).toEqual(['ERR_HOOK_FAILED', 'ERR_HOOK_FAILED']);
      expect(f.errors[0]!.message).toContain('session store down');
      expect(f.stream.clientCount).toBe(0);
      expect((await httpRequest(f.port, '/anything')).body.toString()).toBe('host');
    });

    it('answers 503 with ERR_HANDSHAKE_TIMEOUT when the hook hangs past handshakeTimeout, freeing its slot', async () => {
      const f = await startStream(cleanups, {
        maxClients: 1,
        handshakeTimeout: 300,
        authorize: (req) => (tokenOf(req) === 'hang' ? new Promise<boolean>(() => {}) : true),
      });
      const hung = attempt(`${f.url}?token=hang`);
      expect(await handshakeOutcome(hung)).toBe(503);
      expect(f.errors.map((e) => e.code)).toContain('ERR_HANDSHAKE_TIMEOUT');
      // The pending handshake held the only slot; once refused, a viewer fits again.
      expect(await handshakeOutcome(attempt(f.url))).toBe('open');
    });

    it('guards the snapshot route with the same hook', async () => {
      const f = await startStream(cleanups, {
        authorize: (req) => req.headers['x-api-key'] === 'k' || tokenOf(req) === 'k',
      });
      expect((await httpRequest(f.port, '/test/random')).status).toBe(401);
      const byHeader = await httpRequest(f.port, '/test/random', { headers: { 'X-Api-Key': 'k' } });
      expect(byHeader.status).toBe(200);
      expect(byHeader.headers['content-type']).toBe('image/jpeg');
      expect((await httpRequest(f.port, '/test/random?token=k')).status).toBe(200);
    });

    it('answers 500 on the snapshot route when the hook throws, and reports it', async () => {
      const f = await startStream(cleanups, {
        authorize: () => {
          throw new Error('boom');
        },
      });
      expect((await httpRequest(f.port, '/test/random')).status).toBe(500);
      expect(f.errors.map((e) => e.code)).toEqual(['ERR_HOOK_FAILED']);
    });
  });

  describe('allowedOrigins', () => {
    it('lets every origin in by default, as the original app did', async () => {
      expect(SERVER_DEFAULTS.allowedOrigins).toBe('*');
      const f = await startStream(cleanups);
      expect(await handshakeOutcome(attempt(f.url, { origin: 'https://anyone.example' }))).toBe('open');
      const snap = await httpRequest(f.port, '/test/random', { headers: { Origin: 'https://anyone.example' } });
      expect(snap.headers['access-control-allow-origin']).toBe('*');
    });

    it('refuses an upgrade from an unlisted origin with 403 and admits a listed one', async () => {
      const f = await startStream(cleanups, { allowedOrigins: ['https://app.example'] });
      expect(await handshakeOutcome(attempt(f.url, { origin: 'https://evil.example' }))).toBe(403);
      expect(await handshakeOutcome(attempt(f.url, { origin: 'https://app.example' }))).toBe('open');
      // No Origin header: not a browser, so CORS does not apply; authorize() is what guards it.
      expect(await handshakeOutcome(attempt(f.url))).toBe('open');
      expect(f.stream.getStats().rejectedConnections).toBe(1);
    });

    it('gives snapshot CORS only to a listed origin', async () => {
      const f = await startStream(cleanups, { allowedOrigins: ['https://app.example'] });
      const listed = await httpRequest(f.port, '/test/random', { headers: { Origin: 'https://app.example' } });
      expect(listed.status).toBe(200);
      expect(listed.headers['access-control-allow-origin']).toBe('https://app.example');
      expect(listed.headers.vary).toBe('Origin');
      const other = await httpRequest(f.port, '/test/random', { headers: { Origin: 'https://evil.example' } });
      expect(other.status).toBe(403);
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
    });

    it('asks a function, and a throwing function refuses with 500 instead of crashing', async () => {
      const f = await startStream(cleanups, {
        allowedOrigins: (origin) => {
          if (origin === 'https://bad.example') throw new Error('lookup failed');
          return origin?.endsWith('.corp.example') ?? false;
        },
      });
      expect(await handshakeOutcome(attempt(f.url, { origin: 'https://a.corp.example' }))).toBe('open');
      expect(await handshakeOutcome(attempt(f.url, { origin: 'https://b.other.example' }))).toBe(403);
      expect(await handshakeOutcome(attempt(f.url, { origin: 'https://bad.example' }))).toBe(500);
      expect(f.errors.map((e) => e.code)).toEqual(['ERR_HOOK_FAILED']);
    });
  });

  describe('maxClients', () => {
    it('answers 503 beyond maxClients and admits again once a viewer leaves', async () => {
      const f = await startStream(cleanups, { maxClients: 2 });
      const a = await f.viewer();
      await f.viewer({ protocol: null });
      expect(await handshakeOutcome(attempt(f.url))).toBe(503);
      expect(f.errors.map((e) => e.code)).toEqual(['ERR_TOO_MANY_CLIENTS']);
      await a.close();
      await waitFor(() => f.stream.clientCount === 1, 'the stream to drop the viewer that left');
      expect(await handshakeOutcome(attempt(f.url))).toBe('open');
    });
  });

  describe('maxPayload', () => {
    it('is small by default', () => {
      expect(SERVER_DEFAULTS.maxPayload).toBeLessThanOrEqual(64 * 1024);
    });

    it('closes a viewer that sends a message over maxPayload with 1009 and keeps serving the others', async () => {
      const f = await startStream(cleanups, { maxPayload: 1024 });
      const healthy = await f.viewer();
      const big = await f.viewer();
      big.ws.send('x'.repeat(2048));
      expect(await big.closed).toBe(1009);
      await waitFor(() => f.viewerErrors.some((e) => e.code === 'ERR_CONTROL_TOO_LARGE'), 'the viewerError');
      const before = healthy.binary.length;
      await waitFor(() => healthy.binary.length >= before + 3, 'the healthy viewer to keep receiving frames');
      expect(healthy.closeCode).toBeUndefined();
    });

    it('closes with 1009 as soon as a frame header claims an absurd length, without waiting for the bytes', async () => {
      const f = await startStream(cleanups);
      const raw = await rawUpgrade(f.port, '/ws/test/', { 'Sec-WebSocket-Protocol': 'framestream.v1' });
      await waitFor(() => f.stream.clientCount === 1, 'the raw viewer to be counted');
      raw.write(clientFrame(1, Buffer.alloc(0), { declaredLength: 2 ** 40 }).subarray(0, 14));
      await waitFor(() => f.stream.clientCount === 0, 'the stream to drop the liar');
      await waitFor(() => raw.closeCode() !== undefined || raw.ended, 'the close frame');
      expect(raw.closeCode()).toBe(1009);
    });
  });

  describe('controlRateLimit', () => {
    it('answers messages over the limit with ERR_CONTROL_RATE_LIMITED and closes with 1008 if the flood goes on', async () => {
      const f = await startStream(cleanups, { controlRateLimit: { messages: 5, perMs: 60_000 } });
      const received: unknown[] = [];
      f.stream.on('control', (data) => received.push(data));
      const v = await f.viewer();
      for (let n = 1; n <= 5; n++) v.ws.send(JSON.stringify({ type: 'control', data: n }));
      await waitFor(() => received.length === 5, 'five control messages');
      v.ws.send(JSON.stringify({ type: 'control', data: 6 }));
      await waitFor(() => v.errorCodes().includes('ERR_CONTROL_RATE_LIMITED'), 'a rate-limit error message');
      for (let n = 7; n <= 20; n++) v.ws.send(JSON.stringify({ type: 'control', data: n }));
      expect(await v.closed).toBe(1008);
      expect(received).toEqual([1, 2, 3, 4, 5]);
      expect(f.viewerErrors.map((e) => e.code)).toContain('ERR_CONTROL_RATE_LIMITED');
      expect(f.errors).toEqual([]);
    });

    it('applies to plain viewers too, which cannot read error messages', async () => {
      const f = await startStream(cleanups, { controlRateLimit: { messages: 3, perMs: 60_000 } });
      const v = await f.viewer({ protocol: null });
      for (let i = 0; i < 20; i++) v.ws.send('hello?');
      expect(await v.closed).toBe(1008);
      expect(v.texts).toEqual([]);
    });
  });

  describe('options', () => {
    it.each([
      ['authorize', 'yes', TypeError],
      ['allowedOrigins', 'https://app.example', TypeError],
      ['allowedOrigins', [42], TypeError],
      ['maxClients', 0, RangeError],
      ['maxPayload', 1.5, RangeError],
      ['controlRateLimit', null, TypeError],
      ['handshakeTimeout', 0, RangeError],
      ['sourceTimeout', 0, RangeError],
      ['heartbeatInterval', -1, RangeError],
      ['maxFrameWidth', 70_000, RangeError],
      ['maxFrameHeight', '512', TypeError],
      ['maxFrameBytes', 0, RangeError],
      ['onControl', {}, TypeError],
    ] as const)('throws naming `%s` when given %j', (name, value, Type) => {
      const server = createHostServer();
      const create = () => createFrameStreamServer({ server, [name]: value });
      expect(create).toThrow(Type);
      expect(create).toThrow(`\`${name}\``);
      expect(server.listenerCount('upgrade')).toBe(0);
    });

    it('names the nested field of a bad controlRateLimit', () => {
      const server = createHostServer();
      expect(() => createFrameStreamServer({ server, controlRateLimit: { messages: 0, perMs: 1000 } })).toThrow(
        '`controlRateLimit.messages`',
      );
    });
  });
});
