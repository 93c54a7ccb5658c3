/** WebSocket URL of a stream path on the server that served this page. */
export function streamUrl(path: string): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}${path}`;
}
