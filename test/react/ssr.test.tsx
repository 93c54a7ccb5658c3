// @vitest-environment node
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import {
  Controls,
  FrameStreamErrorBoundary,
  StreamCanvas,
  useFrameStream,
} from '../../src/react/index.js';

function Page() {
  const stream = useFrameStream({ url: 'ws://127.0.0.1:1/ws/', autoConnect: true });
  return (
    <FrameStreamErrorBoundary>
      <StreamCanvas client={stream.client} />
      <Controls stream={stream} />
    </FrameStreamErrorBoundary>
  );
}

describe('framestream/react', () => {
  describe('on the server', () => {
    it('runs where there is no window or document', () => {
      expect(typeof window).toBe('undefined');
      expect(typeof document).toBe('undefined');
    });

    it('renders a page using the hook, StreamCanvas and Controls to HTML', () => {
      const html = renderToString(<Page />);
      expect(html).toContain('data-testid="framestream-controls"');
      expect(html).toContain('Disconnected');
      // The canvas is created after mount, so the server sends only its box.
      expect(html).not.toContain('<canvas');
      expect(html).toMatch(/<button[^>]*data-testid="connect-button"/);
      // Styled by the package's stylesheet, which the server's HTML can link.
      expect(html).toMatch(/<div[^>]*class="fs-canvas"/);
      expect(html).toMatch(/<section[^>]*class="fs-controls"/);
    });
  });
});

// The package as users get it: dist/ is built by `npm test`'s pretest.
const BUILT = resolve(import.meta.dirname, '../../dist/react');

describe('framestream/react (built)', () => {
  it.each(['index.js', 'index.cjs'])('keeps the "use client" directive first in %s', (file) => {
    const path = resolve(BUILT, file);
    expect(existsSync(path), `${path} is missing: run \`npm run build\``).toBe(true);
    expect(readFileSync(path, 'utf8')).toMatch(/^['"]use client['"];/);
  });

  it('imports and renders on the server', async () => {
    const mod = (await import(pathToFileURL(resolve(BUILT, 'index.js')).href)) as typeof import('../../src/react/index.js');
    const html = renderToString(createElement(mod.Controls, { status: 'connected' }));
    expect(html).toContain('Connected');
  });
});
