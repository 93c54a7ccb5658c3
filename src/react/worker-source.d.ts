// Provided at build time by build/stream-worker.mjs: the framestream worker
// (stream-worker.ts and everything it imports) bundled into one script.
declare module 'virtual:framestream-worker' {
  const source: string;
  export default source;
}
