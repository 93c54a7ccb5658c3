import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'vite';

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
