/**
 * Golden layouts: three fixed stories laid out and compared with committed JSON (numbers rounded
 * to 0.01), so any change of geometry shows up in review. `UPDATE_GOLDEN=1` rewrites them.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { layoutStory, type LayoutInput } from '../../../src/lib/layout';
import { rounded, sixPanelStory, webtoonStory } from './helpers';

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = resolve(here, '../../fixtures/layout');
const update = process.env.UPDATE_GOLDEN === '1';

const cases: [string, () => LayoutInput][] = [
  ['six-panels-ltr', () => sixPanelStory('ltr')],
  ['six-panels-rtl', () => sixPanelStory('rtl')],
  ['webtoon', webtoonStory],
];

describe('golden layouts', () => {
  for (const [name, input] of cases) {
    it(name, () => {
      const file = resolve(fixtures, `${name}.json`);
      const actual = rounded(layoutStory(input()));
      if (update) {
        mkdirSync(fixtures, { recursive: true });
        writeFileSync(file, JSON.stringify(actual, null, 2) + '\n');
      }
      expect(existsSync(file), `${file} is missing; run with UPDATE_GOLDEN=1`).toBe(true);
      expect(actual).toEqual(JSON.parse(readFileSync(file, 'utf8')));
    });
  }
});
