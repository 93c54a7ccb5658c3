import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build as esbuild } from 'esbuild';
import { build } from 'vite';
import { streamWorkerEsbuildPlugin } from '../../build/stream-worker.mjs';

const root = resolve(__dirname, '../..');

/**
 * Bundles `src/client` for the browser as an app's bundler would (Vite, one
 * ES module) and returns the code, for pages that `import … from '/client.js'`.
 */
export async function bundleClientForBrowser(): Promise<string> {
  const outDir = mkdtempSync(join(tmpdir(), 'framestream-client-bundle-'));
  try {
    await build({
      configFile: false,
      logLevel: 'silent',
      root,
      build: {
        outDir,
        emptyOutDir: true,
        minify: false,
        lib: { entry: join(root, 'src/client/index.ts'), formats: ['es'], fileName: () => 'client.js' },
      },
    });
    return readFileSync(join(outDir, 'client.js'), 'utf8');
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

/**
 * Bundles a test page's TSX entry (React, the components) into one ES module
 * for the browser. `client` picks which framestream/client the page gets:
 * the sources, or the built entry the React entry imports in an app.
 * `worker` inlines the painting worker, as the React entry's build does.
 */
export async function bundleReactPage(entry: string, o: { client?: 'src' | 'dist'; worker?: boolean } = {}): Promise<string> {
  const result = await esbuild({
    stdin: { contents: entry, loader: 'tsx', resolveDir: root },
    bundle: true,
    write: false,
    format: 'esm',
    jsx: 'automatic',
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'silent',
    alias: { 'framestream/client': resolve(root, o.client === 'dist' ? 'dist/client/index.js' : 'src/client/index.ts') },
    plugins: o.worker ? [streamWorkerEsbuildPlugin()] : [],
  });
  return result.outputFiles[0]!.text;
}
