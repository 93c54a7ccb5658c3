import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { compile } from 'tailwindcss';
import { describe, expect, it } from 'vitest';

// framestream/react/styles.css must stay inside its own classes: it is
// imported into other people's apps. These checks read the file as written
// (it ships as is) and the components that use it.
const root = resolve(__dirname, '../..');
const css = readFileSync(join(root, 'src/react/styles.css'), 'utf8');
const code = css.replace(/\/\*[\s\S]*?\*\//g, '');

/** Every style rule's selector list, outside @keyframes, inside @media too. */
function selectors(source: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let keyframesDepth = -1;
  let start = 0;
  for (let i = 0; i < source.length; i++) {
    const ch = source[i];
    if (ch === '{') {
      const prelude = source.slice(start, i).trim();
      if (prelude.startsWith('@keyframes')) keyframesDepth = depth;
      else if (!prelude.startsWith('@') && keyframesDepth < 0) out.push(prelude);
      depth++;
      start = i + 1;
    } else if (ch === '}') {
      depth--;
      if (depth === keyframesDepth) keyframesDepth = -1;
      start = i + 1;
    } else if (ch === ';') {
      start = i + 1;
    }
  }
  return out;
}

describe('framestream/react/styles.css', () => {
  const rules = selectors(code);

  it('has rules to check', () => {
    expect(rules.length).toBeGreaterThan(40);
  });

  it('starts every selector at an fs- class, so nothing reaches the host page', () => {
    const complex = rules.flatMap((list) => list.split(',').map((s) => s.trim()));
    expect(complex.filter((s) => !/^(:where\()?\.fs-[a-z-]+/.test(s))).toEqual([]);
  });

  it('names only fs- classes, fs- animations and --fs- custom properties', () => {
    const classes = [...code.matchAll(/\.(-?[_a-zA-Z][\w-]*)/g)].map((m) => m[1]!).filter((c) => !/^\d/.test(c));
    expect(classes.filter((c) => !c.startsWith('fs-'))).toEqual([]);
    const animations = [...code.matchAll(/@keyframes\s+([\w-]+)/g)].map((m) => m[1]!);
    expect(animations.length).toBeGreaterThan(0);
    expect(animations.filter((a) => !a.startsWith('fs-'))).toEqual([]);
    const properties = [...code.matchAll(/var\((--[\w-]+)/g)].map((m) => m[1]!);
    expect(properties.filter((p) => !p.startsWith('--fs-'))).toEqual([]);
  });

  it('styles every fs- class the components use', () => {
    const defined = new Set([...code.matchAll(/\.(fs-[\w-]+)/g)].map((m) => m[1]!));
    const dir = join(root, 'src/react');
    const used = new Set(
      readdirSync(dir)
        .filter((f) => f.endsWith('.tsx'))
        .flatMap((f) => [...readFileSync(join(dir, f), 'utf8').matchAll(/className=[{"'`][^}>]*/g)].map((m) => m[0]))
        .flatMap((attr) => [...attr.matchAll(/\bfs-[\w-]+/g)].map((m) => m[0])),
    );
    expect(used.size).toBeGreaterThan(30);
    expect([...used].filter((c) => !defined.has(c))).toEqual([]);
  });

  it("goes below a Tailwind app's utilities when imported into its components layer", async () => {
    const input = '@import "tailwindcss";\n@import "framestream/react/styles.css" layer(components);\n';
    const compiler = await compile(input, {
      base: root,
      async loadStylesheet(id, base) {
        const path =
          id === 'tailwindcss'
            ? join(root, 'node_modules/tailwindcss/index.css')
            : id === 'framestream/react/styles.css'
              ? join(root, 'src/react/styles.css')
              : resolve(base, id);
        return { path, base: resolve(path, '..'), content: readFileSync(path, 'utf8') };
      },
    });
    const out = compiler.build(['h-96']);
    // Layer order is fixed by the first statement: components lose to utilities.
    expect(out).toMatch(/@layer theme, base, components, utilities;/);
    const components = out.indexOf('@layer components {');
    expect(components).toBeGreaterThan(-1);
    expect(out.indexOf(':where(.fs-canvas)')).toBeGreaterThan(components);
    expect(out.indexOf('.fs-controls {')).toBeGreaterThan(components);
    expect(out).toMatch(/\.h-96\s*\{/);
  });
});
