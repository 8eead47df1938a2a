/**
 * Reader layout figure: a 40-panel story with two balloons a panel, laid out 20 times; prints
 * the median as `readerLayoutMs`. Imports nothing but the layout core (no DOM, no app).
 * Run: npx tsx tests/bench/layout-only.ts
 */
import { layoutStory, type LayoutInput, type LayoutPanel, type TextMeasurer } from '../../src/lib/layout';

const measure: TextMeasurer = (text, font, size) => (font === 'display' ? 0.62 : 0.55) * size * text.length;

const LINES = [
  'Where were you last night?',
  'Out.',
  'The lantern went dark at midnight, and nobody came to light it again.',
  'Then we go up the hill ourselves, before the tide turns.',
];

function story(): LayoutInput {
  const panels: LayoutPanel[] = Array.from({ length: 40 }, (_, i) => ({
    id: `p${i}`,
    imageAspect: [1, 1.5, 0.75, 1.2][i % 4]!,
    importance: i % 11 === 0 ? 2 : 1,
    cast: [
      {
        characterId: 'a',
        region: { x: 0.1, y: 0.25, w: 0.3, h: 0.7 },
        headZones: [{ x: 0.17, y: 0.25, w: 0.15, h: 0.15 }],
      },
      {
        characterId: 'b',
        region: { x: 0.6, y: 0.3, w: 0.3, h: 0.65 },
        headZones: [{ x: 0.67, y: 0.3, w: 0.15, h: 0.14 }],
      },
    ],
    texts: [0, 1].map((k) => ({
      balloonId: `d${i}-${k}`,
      kind: k === 0 ? 'speech' : (['speech', 'thought', 'shout', 'whisper'] as const)[i % 4]!,
      text: LINES[(i + k) % LINES.length]!,
      speakerId: k === 0 ? 'a' : 'b',
      font: 'dialogue',
      pinned: false,
      box: null,
      tail: null,
      fontSize: null,
    })),
  }));
  return {
    direction: 'ltr',
    page: { width: 793.7, height: 1122.5, margin: 36, gutter: 12 },
    pageTemplates: [],
    panels,
    measure,
  };
}

const input = story();
for (let i = 0; i < 3; i++) layoutStory(input); // warm-up: let the JIT settle
const times: number[] = [];
for (let i = 0; i < 20; i++) {
  const t0 = performance.now();
  layoutStory(input);
  times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);
const median = (times[9]! + times[10]!) / 2;
console.log(`readerLayoutMs ${median.toFixed(2)}`);
