/**
 * `framestream/react`: a hook and components over `FrameStreamClient`.
 * The built entry starts with "use client", so it drops into a Next.js App
 * Router page; nothing here touches `window` at import or during a server
 * render. The components' look ships beside it:
 * `import 'framestream/react/styles.css'`.
 */
export { useFrameStream } from './useFrameStream.js';
export type { UseFrameStreamOptions, UseFrameStreamResult } from './useFrameStream.js';
export { WorkerFrameStreamClient } from './worker-client.js';
export type { StreamClient } from './worker-client.js';
export { StreamCanvas } from './StreamCanvas.js';
export type { StreamCanvasProps, StreamCanvasHandle, FrameEmitterLike } from './StreamCanvas.js';
export { Controls } from './Controls.js';
export type { ControlsProps, ControlsStream } from './Controls.js';
export { SettingsMenu } from './SettingsMenu.js';
export type { SettingsMenuProps } from './SettingsMenu.js';
export { FrameStreamErrorBoundary } from './ErrorBoundary.js';
export type { FrameStreamErrorBoundaryProps } from './ErrorBoundary.js';
export { EMPTY_METRICS, snapshotMetrics } from './metrics.js';
export type { StreamMetrics } from './metrics.js';
export type { FitMode, PainterStats } from './painter.js';
export type { RenderThread } from './renderer.js';
export type { Point } from './useDraggable.js';
export { useCamera } from './useCamera.js';
export type { CameraState, UseCameraOptions, UseCameraResult } from './useCamera.js';
export { CameraInput } from './CameraInput.js';
export type { CameraInputProps } from './CameraInput.js';
export type { SessionClient, SessionInfo, SendFrameOptions, InputFrameSource } from './session.js';
