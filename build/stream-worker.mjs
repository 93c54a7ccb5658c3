// Builds the painting worker of framestream/react into one script and serves
// it to whatever compiles src/react as the module `virtual:framestream-worker`,
// whose default export is that script's source text.
//
// The worker is started from a Blob URL holding this text, so the published
// package needs no separate worker file: nothing for a user's bundler to
// resolve, copy or serve. Everything the worker runs (the painter, the stream
// client, eventemitter3) is inside the text.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

export const WORKER_MODULE_ID = 'virtual:framestream-worker';
const ENTRY = fileURLToPath(new URL('../src/react/stream-worker.ts', import.meta.url));

/** Bundles src/react/stream-worker.ts; returns its code and the files it read. */
export async function bundleStreamWorker() {
  const result = await build({
    entryPoints: [ENTRY],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    metafile: true,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const code = result.outputFiles[0].text;
  const inputs = Object.keys(result.metafile.inputs).map((path) => fileURLToPath(new URL(path, `file://${process.cwd()}/`)));
  return { code, inputs };
}

const moduleText = (code) => `export default ${JSON.stringify(code)};\n`;

/** For tsup/esbuild: resolves and loads the worker module. */
export function streamWorkerEsbuildPlugin() {
  return {
    name: 'framestream-worker',
    setup(b) {
      b.onResolve({ filter: /^virtual:framestream-worker$/ }, () => ({ path: WORKER_MODULE_ID, namespace: 'framestream-worker' }));
      b.onLoad({ filter: /.*/, namespace: 'framestream-worker' }, async () => {
        const { code, inputs } = await bundleStreamWorker();
        return { contents: moduleText(code), loader: 'js', watchFiles: inputs };
      });
    },
  };
}

/** For Vite, Vitest and Storybook: the same module, rebuilt when a file it reads changes. */
export function streamWorkerVitePlugin() {
  const resolved = `\0${WORKER_MODULE_ID}`;
  return {
    name: 'framestream-worker',
    enforce: 'pre',
    resolveId(id) {
      return id === WORKER_MODULE_ID ? resolved : undefined;
    },
    async load(id) {
      if (id !== resolved) return undefined;
      const { code, inputs } = await bundleStreamWorker();
      for (const file of inputs) this.addWatchFile(file);
      return moduleText(code);
    },
  };
}
