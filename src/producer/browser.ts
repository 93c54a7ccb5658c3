// Bundlers resolve `framestream/producer` here for browser builds (the
// `browser` export condition). A producer runs beside a model in Node and
// needs `ws` to send its token in a header; failing loudly at import beats
// a confusing error deep in a bundle.
throw new Error(
  'framestream/producer runs in Node.js only and cannot be bundled for the browser. ' +
    'To watch a stream in the browser import `framestream/client` or `framestream/react` instead.',
);
