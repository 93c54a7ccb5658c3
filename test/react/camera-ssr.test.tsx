// @vitest-environment node
import { renderToString } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { CameraInput, Controls, useFrameStream } from '../../src/react/index.js';

function Page() {
  const stream = useFrameStream({ url: 'ws://127.0.0.1:1/ws/img2img/', autoConnect: true });
  return (
    <>
      <Controls stream={stream} />
      <CameraInput client={stream.client} />
    </>
  );
}

describe('CameraInput on the server', () => {
  it('renders to HTML without a window, navigator or camera, as off', () => {
    expect(typeof window).toBe('undefined');
    const html = renderToString(<Page />);
    expect(html).toMatch(/<section[^>]*data-testid="camera-input"[^>]*data-state="off"/);
    expect(html).toMatch(/class="fs-camera"/);
    expect(html).toContain('Camera off');
  });
});
