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
      <div role="alert" data-testid="framestream-error" className="fs-error">
        <p className="fs-error-title">Something went wrong showing the stream.</p>
        <p className="fs-error-message">{error.message}</p>
        <button type="button" onClick={this.reset} className="fs-button fs-button-primary fs-focusable">
          Try again
        </button>
      </div>
    );
  }
}
