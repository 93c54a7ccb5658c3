/**
 * `framestream`: the wire format and error types shared by
 * `framestream/server`, `framestream/client` and `framestream/react`.
 */
export * from './protocol/index.js';
