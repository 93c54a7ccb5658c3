// Bundlers resolve `framestream/server` here for browser builds (the
// `browser` export condition). The server needs Node's http, ws and sharp;
// failing loudly at import beats a confusing error deep in a bundle.
throw new Error(
  'framestream/server runs in Node.js only and cannot be bundled for the browser. ' +
    'In browser code import `framestream/client` or `framestream/react` instead.',
);
