import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const SHOTS = join(REPO, 'docs/screenshots');
const SCRIPT = readFileSync(join(REPO, 'scripts/screenshots.mjs'), 'utf8');

/** Every screenshot a page of the docs (or the README) shows, by file name. */
function referenced(): Map<string, string[]> {
  const pages = [join(REPO, 'README.md'), ...readdirSync(join(REPO, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join(REPO, 'docs', f))];
  const refs = new Map<string, string[]>();
  for (const page of pages) {
    for (const [, name] of readFileSync(page, 'utf8').matchAll(/screenshots\/([\w.-]+\.(?:png|jpe?g|webp))/g)) {
      refs.set(name!, [...(refs.get(name!) ?? []), page.slice(REPO.length)]);
    }
  }
  return refs;
}

const files = readdirSync(SHOTS).filter((f) => !f.startsWith('.'));

// `npm run screenshots` (scripts/screenshots.mjs) takes every shot; these
// keep the folder and the docs in step with it.
describe('docs/screenshots', () => {
  it('has every screenshot the docs show', () => {
    const missing = [...referenced()].filter(([name]) => !files.includes(name)).map(([name, pages]) => `${name} (${pages.join(', ')})`);
    expect(missing).toEqual([]);
  });

  it('holds only screenshots the script takes and the docs show', () => {
    const refs = referenced();
    expect(files.filter((name) => !SCRIPT.includes(`'${name.replace(/\.png$/, '')}'`))).toEqual([]);
    expect(files.filter((name) => !refs.has(name))).toEqual([]);
  });

  it('keeps each screenshot under 150 KB', () => {
    const big = files.map((name) => [name, statSync(join(SHOTS, name)).size] as const).filter(([, size]) => size > 150 * 1024);
    expect(big).toEqual([]);
  });
});
