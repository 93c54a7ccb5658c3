import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { recordedProducer, runCleanups, solidJpeg, startHost, TOKEN, waitFor, wireCounter } from './helpers.js';

afterEach(runCleanups);

let red: Buffer;
let blue: Buffer;
beforeAll(async () => {
  [red, blue] = await Promise.all([solidJpeg(16, 16, [220, 20, 20]), solidJpeg(16, 16, [20, 20, 220])]);
});

const codes = (errors: { code: string }[]) => errors.map((e) => e.code);

describe('FrameProducer', () => {
  describe('#connect', () => {
    it('stops with ERR_PRODUCER_REFUSED on a wrong token, after one attempt', async () => {
      const host = await startHost();
      const { wire, WebSocket } = wireCounter();
      const { producer, errors, closes } = recordedProducer({ url: host.url, token: 'wrong', WebSocket, initialDelayMs: 10, maxDelayMs: 20 });
      await waitFor(() => producer.status === 'closed', 'the producer to stop');
      expect(codes(errors)).toEqual(['ERR_PRODUCER_REFUSED']);
      expect(errors[0]!.message).toMatch(/`token`/);
      expect(closes).toEqual([expect.objectContaining({ httpStatus: 401, reconnectInMs: null })]);
      // With a 10 ms backoff a retry loop would have made many attempts by
      // now; this waits only so there is time for one to show.
      await new Promise((r) => setTimeout(r, 300));
      expect(wire.connections).toBe(1);
      expect(host.serverErrors.filter((c) => c === 'ERR_PRODUCER_REFUSED')).toHaveLength(1);
      expect(producer.send(red)).toBe(false); // closed: dropped, not thrown
    });

    it('stops with ERR_PRODUCER_REFUSED on a path that is not an ingest endpoint', async () => {
      const host = await startHost();
      const { producer, errors } = recordedProducer({ url: `ws://127.0.0.1:${host.port}/nowhere`, token: TOKEN });
      await waitFor(() => producer.status === 'closed', 'the producer to stop');
      expect(codes(errors)).toEqual(['ERR_PRODUCER_REFUSED']);
    });

    it('waits out a 429 for as long as Retry-After says, instead of hammering', async () => {
      const host = await startHost();
      for (let i = 0; i < 5; i++) {
        const guess = recordedProducer({ url: host.url, token: `guess-${i}` });
        await waitFor(() => guess.producer.status === 'closed', 'a refused guess');
      }
      const { producer, closes, errors } = recordedProducer({ url: host.url, token: TOKEN, initialDelayMs: 10 });
      await waitFor(() => closes.length === 1, 'the rate-limited attempt');
      expect(closes[0]).toMatchObject({ httpStatus: 429 });
      expect(closes[0]!.reconnectInMs).toBeGreaterThan(50_000); // the server's window is a minute
      expect(producer.status).toBe('reconnecting');
      expect(errors).toEqual([]);
    });

    it('retries slowly with ERR_PRODUCER_BUSY while another producer feeds the stream, and takes over when it leaves', async () => {
      const host = await startHost();
      const v = await host.viewer();
      const first = recordedProducer({ url: host.url, token: TOKEN });
      await waitFor(() => first.producer.status === 'open', 'the first producer');
      const { wire, WebSocket } = wireCounter();
      const second = recordedProducer({ url: host.url, token: TOKEN, WebSocket, busyRetryMs: 150, initialDelayMs: 10, maxDelayMs: 20 });
      await waitFor(() => wire.connections >= 3, 'a few refused attempts');
      expect(codes(second.errors)).toEqual(['ERR_PRODUCER_BUSY']); // once, not once per retry
      expect(second.closes.every((c) => c.code === 4409 && c.reconnectInMs! >= 150)).toBe(true);
      expect(second.producer.status).toBe('reconnecting');
      second.producer.send(blue);
      await first.producer.close();
      await waitFor(() => second.producer.status === 'open', 'the second producer to take over');
      await waitFor(() => v.frames().some((f) => Buffer.from(f.payload).equals(blue)), 'its held frame at the viewer');
    });

    it('stops with ERR_PRODUCER_REFUSED when a newer producer replaces it, instead of taking the stream back', async () => {
      const host = await startHost({ replace: true });
      const old = recordedProducer({ url: host.url, token: TOKEN });
      await waitFor(() => old.producer.status === 'open', 'the first producer');
      const fresh = recordedProducer({ url: host.url, token: TOKEN });
      await waitFor(() => old.producer.status === 'closed', 'the first producer to stop');
      expect(codes(old.errors)).toEqual(['ERR_PRODUCER_REFUSED']);
      expect(old.closes.at(-1)).toMatchObject({ code: 4410, reconnectInMs: null });
      expect(fresh.producer.status).toBe('open');
    });

    it('reconnects by itself when the server restarts, and resumes the stream', async () => {
      const host = await startHost();
      const { producer, closes, opens } = recordedProducer({ url: host.url, token: TOKEN });
      await waitFor(() => producer.status === 'open', 'the producer to be admitted');
      // A model loop that keeps sending whatever happens to the server.
      let n = 0;
      const loop = setInterval(() => producer.send(n++ % 2 ? red : blue, { n }), 20);
      try {
        await host.stop();
        await waitFor(() => producer.status === 'reconnecting', 'the producer to notice');
        expect(closes[0]).toMatchObject({ code: 1001 });
        expect(closes[0]!.reconnectInMs).toBeGreaterThanOrEqual(0);
        const again = await startHost({}, {}, host.port);
        const v = await again.viewer();
        await waitFor(() => v.frames().length >= 3, 'frames through the restarted server');
        expect(opens()).toBe(2);
        expect(producer.status).toBe('open');
        const sent = v.frames().map((f) => f.meta.metrics!.n!);
        expect(sent).toEqual([...sent].sort((a, b) => a - b));
      } finally {
        clearInterval(loop);
      }
    });

    it('retries a server that is not up yet, then connects', async () => {
      const placeholder = await startHost();
      const port = placeholder.port;
      await placeholder.stop(); // a free port nobody listens on
      const { producer, closes } = recordedProducer({ url: `ws://127.0.0.1:${port}/ingest/model`, token: TOKEN });
      await waitFor(() => closes.length >= 2, 'a couple of refused connections');
      expect(producer.status).toBe('reconnecting');
      const host = await startHost({}, {}, port);
      await host.viewer();
      await waitFor(() => producer.status === 'open', 'the producer to connect');
    });
  });

  describe('#watching', () => {
    it('follows viewers coming and going, with a `demand` event for each change', async () => {
      const host = await startHost();
      const { producer, demand } = recordedProducer({ url: host.url, token: TOKEN });
      await waitFor(() => producer.status === 'open', 'the producer to be admitted');
      expect(producer.watching).toBe(false);
      const a = await host.viewer();
      await waitFor(() => producer.watching, 'watching');
      const b = await host.viewer();
      await a.close();
      // Still one viewer: no change, so no event.
      producer.send(red);
      await waitFor(() => b.frames().length === 1, 'a frame to the remaining viewer');
      expect(producer.watching).toBe(true);
      await b.close();
      await waitFor(() => !producer.watching, 'nobody watching');
      expect(demand).toEqual([true, false]);
    });

    it('starts watching from the welcome when viewers were there first, and stops when the connection ends', async () => {
      const host = await startHost();
      await host.viewer();
      const { producer, demand } = recordedProducer({ url: host.url, token: TOKEN });
      await waitFor(() => producer.status === 'open', 'the producer to be admitted');
      expect(producer.watching).toBe(true);
      await producer.close();
      expect(producer.status).toBe('closed');
      expect(producer.watching).toBe(false);
      expect(demand).toEqual([true, false]);
    });
  });

  describe('events', () => {
    it('turns a listener that throws into an ERR_HOOK_FAILED error and carries on', async () => {
      const host = await startHost();
      const v = await host.viewer();
      const { producer, errors } = recordedProducer({ url: host.url, token: TOKEN });
      producer.on('open', () => {
        throw new Error('app bug');
      });
      await waitFor(() => producer.status === 'open', 'the producer to be admitted');
      expect(codes(errors)).toEqual(['ERR_HOOK_FAILED']);
      expect(errors[0]!.message).toMatch(/`open` listener threw: app bug/);
      producer.send(red);
      await waitFor(() => v.frames().length === 1, 'a frame after the throw');
    });
  });

  describe('#close', () => {
    it('closes the socket, so the stream sees its producer gone, and can connect again', async () => {
      const host = await startHost();
      const { producer, closes } = recordedProducer({ url: host.url, token: TOKEN });
      await waitFor(() => producer.status === 'open', 'the producer to be admitted');
      await producer.close();
      expect(closes).toEqual([expect.objectContaining({ code: 1000, reconnectInMs: null })]);
      await waitFor(() => host.stream.getStats().producer?.connected === false, 'the stream to see it gone');
      producer.connect();
      await waitFor(() => producer.status === 'open', 'the producer to be admitted again');
    });
  });
});
