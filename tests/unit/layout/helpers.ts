/** Shared fixtures for the layout tests: a deterministic measurer, a seeded RNG, scenes and stories. */
import type {
  LayoutCastMember,
  LayoutInput,
  LayoutPanel,
  LayoutText,
  PageSpec,
  ReadingDirection,
  TextMeasurer,
} from '../../../src/lib/layout';

/** Width = 0.55 · size per character (0.62 for the display font): fixed, so numbers are stable. */
export const fakeMeasure: TextMeasurer = (text, font, size) =>
  (font === 'display' ? 0.62 : 0.55) * size * text.length;

export const A4: PageSpec = { width: 793.7, height: 1122.5, margin: 36, gutter: 12 };

/** mulberry32: a tiny seeded generator so the sweeps are reproducible. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function text(
  balloonId: string,
  words: string,
  speakerId: string | null,
  over: Partial<LayoutText> = {},
): LayoutText {
  return {
    balloonId,
    kind: 'speech',
    text: words,
    speakerId,
    font: 'dialogue',
    pinned: false,
    box: null,
    tail: null,
    fontSize: null,
    ...over,
  };
}

export function member(characterId: string, x: number, y: number, w: number, h: number): LayoutCastMember {
  // The head is the top fifth of the figure, narrower than the body.
  return {
    characterId,
    region: { x, y, w, h },
    headZones: [{ x: x + w * 0.25, y, w: w * 0.5, h: h * 0.2 }],
  };
}

export function panel(id: string, over: Partial<LayoutPanel> = {}): LayoutPanel {
  return { id, imageAspect: 1, importance: 1, cast: [], texts: [], ...over };
}

const LINES = [
  'Where were you last night?',
  'Out.',
  'The lantern went dark at midnight, and nobody came to light it again.',
  'Then we go up the hill ourselves.',
  'I told you not to follow me!',
  'Listen… do you hear that?',
  'Fine.',
  'We have until the tide turns, no longer.',
];

/** A random cell's panel: 1–3 characters, 1–4 lines, some from off panel. */
export function randomPanel(r: () => number, id: string): LayoutPanel {
  const n = 1 + Math.floor(r() * 3);
  const cast = Array.from({ length: n }, (_, i) => {
    const w = 0.18 + r() * 0.22;
    const h = 0.4 + r() * 0.5;
    return member(`c${i}`, r() * (1 - w), 0.05 + r() * (0.95 - h), w, h);
  });
  const lines = 1 + Math.floor(r() * 4);
  const kinds = ['speech', 'speech', 'thought', 'shout', 'whisper'] as const;
  const texts = Array.from({ length: lines }, (_, i) =>
    text(`l${i}`, LINES[Math.floor(r() * LINES.length)]!, r() < 0.85 ? `c${Math.floor(r() * n)}` : null, {
      kind: kinds[Math.floor(r() * kinds.length)]!,
    }),
  );
  if (r() < 0.3) texts.unshift(text('caption', 'Later, by the harbour.', null, { kind: 'caption' }));
  return panel(id, { imageAspect: 0.6 + r() * 1.4, cast, texts });
}

/** Six panels, two characters in dialogue: the golden story. */
export function sixPanelStory(direction: ReadingDirection): LayoutInput {
  const mira = (x: number) => member('mira', x, 0.2, 0.3, 0.75);
  const tomas = (x: number) => member('tomas', x, 0.25, 0.3, 0.7);
  const panels: LayoutPanel[] = [
    panel('p1', {
      imageAspect: 1.5,
      cast: [mira(0.1), tomas(0.6)],
      texts: [
        text('caption', 'The harbour, an hour before the storm.', null, { kind: 'caption' }),
        text('d1', 'Where were you last night?', 'mira'),
        text('d2', 'Out.', 'tomas'),
      ],
    }),
    panel('p2', {
      imageAspect: 1,
      cast: [tomas(0.35)],
      texts: [text('d3', 'The lantern went dark at midnight.', 'tomas', { kind: 'thought' })],
    }),
    panel('p3', {
      imageAspect: 0.75,
      cast: [mira(0.35)],
      texts: [text('d4', 'I told you not to go up there!', 'mira', { kind: 'shout' })],
    }),
    panel('p4', {
      imageAspect: 1.5,
      cast: [mira(0.05), tomas(0.62)],
      texts: [
        text('d5', 'Listen… do you hear that?', 'tomas', { kind: 'whisper' }),
        text('d6', 'Someone is calling from the water.', null),
      ],
    }),
    panel('p5', {
      imageAspect: 1,
      cast: [],
      texts: [text('sfx', 'KRAKA-BOOM', null, { kind: 'sfx', font: 'display' })],
    }),
    panel('p6', {
      imageAspect: 1.2,
      cast: [mira(0.15), tomas(0.55)],
      texts: [
        text('d7', 'We go together.', 'mira', {
          pinned: true,
          box: { x: 0.05, y: 0.03, w: 0.4, h: 0.16 },
          tail: { x: 0.28, y: 0.3 },
        }),
        text('d8', 'Fine.', 'tomas'),
      ],
    }),
  ];
  return { direction, page: A4, pageTemplates: [], panels, measure: fakeMeasure };
}

export function webtoonStory(): LayoutInput {
  const base = sixPanelStory('webtoon');
  const aspects = [0.8, 1.5, 0.2, 5, 1];
  const panels = base.panels.slice(0, 5).map((p, i) => ({ ...p, imageAspect: aspects[i]! }));
  return { ...base, page: { width: 800, height: 0, margin: 0, gutter: 24 }, panels };
}

/** Numbers rounded to 0.01 everywhere (path strings are already written with two decimals). */
export function rounded<T>(value: T): T {
  return JSON.parse(
    JSON.stringify(value, (_k, v) => (typeof v === 'number' ? Math.round(v * 100) / 100 : v)),
  );
}
