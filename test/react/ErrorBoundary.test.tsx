// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { useState } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { FrameStreamErrorBoundary } from '../../src/react/index.js';

function Bomb({ explode }: { explode: boolean }) {
  if (explode) throw new RangeError('Expected `fps` to be in (0, 240], got `0`');
  return <p>stream is fine</p>;
}

describe('FrameStreamErrorBoundary', () => {
  let consoleError: MockInstance;
  // React reports every caught render error on the console; keep test output readable.
  beforeEach(() => {
    consoleError = vi.spyOn(console, 'error').mockImplementation(() => {});
  });
  afterEach(() => {
    cleanup();
    consoleError.mockRestore();
  });

  it('renders its children while nothing fails', () => {
    render(
      <FrameStreamErrorBoundary>
        <Bomb explode={false} />
      </FrameStreamErrorBoundary>,
    );
    expect(screen.getByText('stream is fine')).toBeTruthy();
  });

  it('shows an alert with the error message instead of a blank page', () => {
    render(
      <FrameStreamErrorBoundary>
        <Bomb explode />
      </FrameStreamErrorBoundary>,
    );
    expect(screen.getByRole('alert').textContent).toContain('Expected `fps` to be in (0, 240], got `0`');
  });

  it('shows a fallback node when one is given and reports the error', () => {
    const onError = vi.fn();
    render(
      <FrameStreamErrorBoundary fallback={<p>custom fallback</p>} onError={onError}>
        <Bomb explode />
      </FrameStreamErrorBoundary>,
    );
    expect(screen.getByText('custom fallback')).toBeTruthy();
    expect(onError).toHaveBeenCalledTimes(1);
    expect(onError.mock.calls[0]?.[0]).toBeInstanceOf(RangeError);
  });

  it('renders the children again after reset from a fallback function', () => {
    function Harness() {
      const [explode, setExplode] = useState(true);
      return (
        <FrameStreamErrorBoundary
          fallback={(error, reset) => (
            <button
              type="button"
              onClick={() => {
                setExplode(false);
                reset();
              }}
            >
              retry after {error.name}
            </button>
          )}
        >
          <Bomb explode={explode} />
        </FrameStreamErrorBoundary>
      );
    }
    render(<Harness />);
    fireEvent.click(screen.getByRole('button', { name: 'retry after RangeError' }));
    expect(screen.getByText('stream is fine')).toBeTruthy();
  });
});
