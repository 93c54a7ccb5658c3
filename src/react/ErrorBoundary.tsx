import { Component, type ErrorInfo, type ReactNode } from 'react';

/** Props of {@link FrameStreamErrorBoundary}. */
export interface FrameStreamErrorBoundaryProps {
  children?: ReactNode;
  /**
   * What to show instead of the children after a rendering error: a node, or
   * a function given the error and a `reset` that renders the children again.
   * @default a short message with a "Try again" button
   */
  fallback?: ReactNode | ((error: Error, reset: () => void) => ReactNode);
  /** Told about each error caught, e.g. to log it. @default undefined */
  onError?: (error: Error, info: ErrorInfo) => void;
}

interface State {
  error: Error | null;
}

/**
 * Catches errors thrown while rendering its children (a bad option to
 * `useFrameStream`, a failing custom component) and shows a message instead
 * of unmounting the whole page to a blank screen.
 *
 * @example
 * <FrameStreamErrorBoundary fallback={(error, reset) => <Oops error={error} onRetry={reset} />}>
 *   <Player />
 * </FrameStreamErrorBoundary>
 */
export class FrameStreamErrorBoundary extends Component<FrameStreamErrorBoundaryProps, State> {
  override state: State = { error: null };

  static getDerivedStateFromError(error: unknown): State {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }

  override componentDidCatch(error: Error, info: ErrorInfo): void {
    this.props.onError?.(error, info);
  }

  reset = (): void => {
    this.setState({ error: null });
  };

  override render(): ReactNode {
    const { error } = this.state;
    if (!error) return this.props.children;
    const { fallback } = this.props;
    if (typeof fallback === 'function') return fallback(error, this.reset);
    if (fallback !== undefined) return fallback;
    return (
      <div
        role="alert"
        data-testid="framestream-error"
        className="m-4 max-w-md rounded-xl border border-red-400/40 bg-black/70 p-4 text-sm text-[#B5CC9A] backdrop-blur"
      >
        <p className="font-semibold text-red-300">Something went wrong showing the stream.</p>
        <p className="mt-1 font-mono text-xs text-[#9CA986]">{error.message}</p>
        <button
          type="button"
          onClick={this.reset}
          className="mt-3 rounded-lg bg-[#8B9A7E] px-3 py-1.5 font-semibold text-black hover:bg-[#9CA986] focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-[#B5CC9A]"
        >
          Try again
        </button>
      </div>
    );
  }
}
