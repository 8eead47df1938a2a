/** The studio's Content-Security-Policy (src/lib/config/csp.ts) and what keeps the app inside it. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { cspHeader, cspMeta, DOWNLOAD_HOSTS } from '../../src/lib/config/csp';
import { HUB_ORIGIN } from '../../src/lib/models/manifest';

const directive = (policy: string, name: string) =>
  policy
    .split(';')
    .map((d) => d.trim().split(/\s+/))
    .find(([n]) => n === name)
    ?.slice(1);

describe('the CSP', () => {
  test('the Hub the packs download from is allowed to connect, and nothing else off the origin', () => {
    expect(DOWNLOAD_HOSTS).toContain(HUB_ORIGIN);
    expect(directive(cspHeader(), 'connect-src')).toEqual(["'self'", 'blob:', ...DOWNLOAD_HOSTS]);
  });

  test('scripts only from the origin, WASM compiled, no eval, nothing inline', () => {
    expect(directive(cspHeader(), 'script-src')).toEqual(["'self'", "'wasm-unsafe-eval'"]);
    expect(cspHeader()).not.toMatch(/'unsafe-inline'|'unsafe-eval'/);
    for (const name of ['object-src', 'base-uri', 'frame-ancestors'])
      expect(directive(cspHeader(), name)).toEqual(["'none'"]);
  });

  test('the meta form is the header without the directives a meta element cannot carry', () => {
    expect(directive(cspMeta(), 'frame-ancestors')).toBeUndefined();
    expect(cspHeader().startsWith(cspMeta())).toBe(true);
  });

  test('every schema module takes zod from src/lib/domain/zod.ts (jitless: no eval under the CSP)', () => {
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? files(join(dir, e.name)) : /\.(ts|svelte)$/.test(e.name) ? [join(dir, e.name)] : [],
      );
    const direct = [...files('src'), ...files('workers')].filter(
      (f) => !f.endsWith(join('domain', 'zod.ts')) && /from 'zod(\/[^']*)?'/.test(readFileSync(f, 'utf8')),
    );
    expect(direct).toEqual([]);
  });
});
