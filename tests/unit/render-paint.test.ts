import { describe, expect, it } from 'vitest';
import { cssFont, letteringWeight } from '../../src/lib/layout/fonts';
import {
  LETTERING_STYLE,
  MAX_RENDER_PIXELS,
  paintPage,
  regionPixels,
  renderSize,
  type PaintContext,
} from '../../src/lib/layout/paint';
import type { BalloonLayout, PageLayout } from '../../src/lib/layout/types';

interface FakePath {
  d: string;
}
interface FakeImage {
  name: string;
}
interface Call {
  op: string;
  args: unknown[];
  /** The context's state when the call was made. */
  state: {
    transform: number[];
    dash: number[];
    font: string;
    fillStyle: unknown;
    strokeStyle: unknown;
    lineWidth: number;
    textAlign: string;
    textBaseline: string;
    clips: number;
  };
}

/** A recording 2D context: every drawing call with the state it was made in; save/restore honoured. */
function recorder() {
  const calls: Call[] = [];
  let transform = [1, 0, 0, 1, 0, 0];
  let dash: number[] = [];
  let clips = 0;
  const stack: { transform: number[]; dash: number[]; clips: number; styles: Record<string, unknown> }[] = [];
  const styles: Record<string, unknown> = {
    fillStyle: '#000',
    strokeStyle: '#000',
    lineWidth: 1,
    lineJoin: 'miter',
    font: '10px sans-serif',
    textAlign: 'start',
    textBaseline: 'alphabetic',
  };
  const record = (op: string, args: unknown[]) =>
    calls.push({
      op,
      args,
      state: {
        transform: [...transform],
        dash: [...dash],
        font: styles.font as string,
        fillStyle: styles.fillStyle,
        strokeStyle: styles.strokeStyle,
        lineWidth: styles.lineWidth as number,
        textAlign: styles.textAlign as string,
        textBaseline: styles.textBaseline as string,
        clips,
      },
    });
  const ctx = {
    save: () => stack.push({ transform: [...transform], dash: [...dash], clips, styles: { ...styles } }),
    restore: () => {
      const s = stack.pop()!;
      transform = s.transform;
      dash = s.dash;
      clips = s.clips;
      Object.assign(styles, s.styles);
    },
    setTransform: (...m: number[]) => {
      transform = m;
    },
    setLineDash: (d: number[]) => {
      dash = [...d];
    },
    beginPath: () => record('beginPath', []),
    rect: (...a: number[]) => record('rect', a),
    clip: () => {
      clips++;
      record('clip', []);
    },
    fillRect: (...a: number[]) => record('fillRect', a),
    strokeRect: (...a: number[]) => record('strokeRect', a),
    fill: (p: FakePath) => record('fill', [p.d]),
    stroke: (p: FakePath) => record('stroke', [p.d]),
    drawImage: (...a: unknown[]) => record('drawImage', a),
    fillText: (...a: unknown[]) => record('fillText', a),
    strokeText: (...a: unknown[]) => record('strokeText', a),
  } as unknown as PaintContext<FakePath, FakeImage>;
  for (const key of Object.keys(styles))
    Object.defineProperty(ctx, key, {
      get: () => styles[key],
      set: (v: unknown) => {
        styles[key] = v;
      },
    });
  return { ctx, calls };
}

const balloon = (over: Partial<BalloonLayout>): BalloonLayout => ({
  balloonId: 'b',
  kind: 'speech',
  speakerId: 'c1',
  pinned: false,
  box: { x: 20, y: 20, w: 100, h: 50 },
  bodyPath: 'M20 45 A50 25 0 1 0 120 45 A50 25 0 1 0 20 45 Z',
  tailPath: 'M60 68 L50 90 L75 66 Z',
  tailTip: { x: 50, y: 90 },
  font: 'dialogue',
  fontSize: 14,
  lineHeight: 16,
  lines: [
    { text: 'Hello', x: 70, y: 40 },
    { text: 'there!', x: 70, y: 56 },
  ],
  overflow: false,
  ...over,
});

const page: PageLayout = {
  index: 0,
  templateId: 'two-rows',
  width: 400,
  height: 600,
  cells: [
    {
      panelId: 'p1',
      order: 0,
      frame: { x: 10, y: 10, w: 380, h: 280 },
      crop: { x: 0.1, y: 0.25, w: 0.8, h: 0.5 },
      cast: [],
      balloons: [
        balloon({ balloonId: 's1' }),
        balloon({ balloonId: 'w1', kind: 'whisper', tailPath: '' }),
        balloon({
          balloonId: 'x1',
          kind: 'sfx',
          font: 'display',
          fontSize: 30,
          bodyPath: 'M0 0 L1 1 Z',
          tailPath: '',
          tailTip: null,
          lines: [{ text: 'BOOM', x: 300, y: 200 }],
        }),
      ],
    },
    {
      panelId: 'p2',
      order: 1,
      frame: { x: 10, y: 310, w: 380, h: 280 },
      crop: { x: 0, y: 0, w: 1, h: 1 },
      cast: [],
      balloons: [
        balloon({
          balloonId: 'sh',
          kind: 'shout',
          font: 'dialogue',
          bodyPath: 'M30 330 L60 320 Z',
          tailPath: '',
          lines: [{ text: 'STOP', x: 100, y: 350 }],
        }),
      ],
    },
  ],
};

const SCALE = 300 / 96;
const pictures = new Map([
  ['p1', { image: { name: 'one' }, width: 1000, height: 800 }],
  ['p2', null],
]);

function paint() {
  const { ctx, calls } = recorder();
  paintPage(ctx, page, pictures, SCALE, (d) => ({ d }));
  return calls;
}

describe('paintPage', () => {
  it('fills the white page under the scale transform', () => {
    const first = paint()[0]!;
    expect(first.op).toBe('fillRect');
    expect(first.args).toEqual([0, 0, 400, 600]);
    expect(first.state.fillStyle).toBe(LETTERING_STYLE.paper);
    expect(first.state.transform).toEqual([SCALE, 0, 0, SCALE, 0, 0]);
  });

  it('clips each cell to its frame and draws the crop × picture size into it', () => {
    const calls = paint();
    const rects = calls.filter((c) => c.op === 'rect').map((c) => c.args);
    expect(rects).toEqual([
      [10, 10, 380, 280],
      [10, 310, 380, 280],
    ]);
    expect(calls.filter((c) => c.op === 'clip')).toHaveLength(2);
    const draws = calls.filter((c) => c.op === 'drawImage');
    expect(draws).toHaveLength(1);
    expect(draws[0]!.args).toEqual([{ name: 'one' }, 100, 200, 800, 400, 10, 10, 380, 280]);
    expect(draws[0]!.state.clips).toBe(1);
    expect(draws[0]!.state.transform).toEqual([SCALE, 0, 0, SCALE, 0, 0]);
  });

  it('fills a cell without a picture light grey, clipped, and borders every frame in ink', () => {
    const calls = paint();
    const grey = calls.find((c) => c.op === 'fillRect' && c.state.fillStyle === LETTERING_STYLE.emptyCell)!;
    expect(grey.args).toEqual([10, 310, 380, 280]);
    expect(grey.state.clips).toBe(1);
    const borders = calls.filter((c) => c.op === 'strokeRect');
    expect(borders.map((c) => c.args)).toEqual([
      [10, 10, 380, 280],
      [10, 310, 380, 280],
    ]);
    for (const b of borders) {
      expect(b.state.strokeStyle).toBe(LETTERING_STYLE.ink);
      expect(b.state.lineWidth).toBe(LETTERING_STYLE.frameStroke);
      expect(b.state.clips).toBe(0);
    }
  });

  it('strokes and fills balloon bodies and tails in page units, dashed only for a whisper', () => {
    const calls = paint();
    const speech = balloon({});
    const shapes = calls.filter((c) => c.op === 'stroke' || c.op === 'fill');
    const strokes = shapes.filter((c) => c.op === 'stroke');
    const fills = shapes.filter((c) => c.op === 'fill');
    expect(strokes.map((c) => c.args[0])).toEqual([
      speech.bodyPath,
      speech.tailPath,
      speech.bodyPath, // whisper: no tail
      'M30 330 L60 320 Z', // shout
    ]);
    expect(fills.map((c) => c.args[0])).toEqual(strokes.map((c) => c.args[0]));
    for (const s of shapes) expect(s.state.transform).toEqual([SCALE, 0, 0, SCALE, 0, 0]);
    for (const s of strokes) {
      expect(s.state.strokeStyle).toBe(LETTERING_STYLE.ink);
      expect(s.state.lineWidth).toBe(LETTERING_STYLE.balloonStroke * 2);
    }
    for (const f of fills) expect(f.state.fillStyle).toBe(LETTERING_STYLE.balloonFill);
    expect(strokes[0]!.state.dash).toEqual([]);
    expect(strokes[2]!.state.dash).toEqual([...LETTERING_STYLE.whisperDash]);
    expect(strokes[3]!.state.dash).toEqual([]);
    // The outline is under the fill: each balloon strokes before it fills.
    const firstFill = calls.findIndex((c) => c.op === 'fill');
    const firstStroke = calls.findIndex((c) => c.op === 'stroke');
    expect(firstStroke).toBeLessThan(firstFill);
  });

  it('draws no body for a sound effect: white outline then black letters', () => {
    const calls = paint();
    expect(calls.some((c) => (c.op === 'stroke' || c.op === 'fill') && c.args[0] === 'M0 0 L1 1 Z')).toBe(
      false,
    );
    const outline = calls.filter((c) => c.op === 'strokeText');
    expect(outline).toHaveLength(1);
    expect(outline[0]!.args).toEqual(['BOOM', 300 * SCALE, 200 * SCALE]);
    expect(outline[0]!.state.strokeStyle).toBe(LETTERING_STYLE.paper);
    expect(outline[0]!.state.lineWidth).toBeCloseTo(30 * LETTERING_STYLE.sfxOutline * SCALE);
    const boomFill = calls.findIndex((c) => c.op === 'fillText' && c.args[0] === 'BOOM');
    expect(boomFill).toBeGreaterThan(calls.indexOf(outline[0]!));
    expect(calls[boomFill]!.state.fillStyle).toBe(LETTERING_STYLE.ink);
  });

  it('letters every line at its position × scale, centred on the alphabetic baseline, in the right font', () => {
    const texts = paint().filter((c) => c.op === 'fillText');
    expect(texts.map((c) => c.args)).toEqual([
      ['Hello', 70 * SCALE, 40 * SCALE],
      ['there!', 70 * SCALE, 56 * SCALE],
      ['Hello', 70 * SCALE, 40 * SCALE],
      ['there!', 70 * SCALE, 56 * SCALE],
      ['BOOM', 300 * SCALE, 200 * SCALE],
      ['STOP', 100 * SCALE, 350 * SCALE],
    ]);
    for (const t of texts) {
      expect(t.state.transform).toEqual([1, 0, 0, 1, 0, 0]);
      expect(t.state.textAlign).toBe('center');
      expect(t.state.textBaseline).toBe('alphabetic');
      expect(t.state.fillStyle).toBe(LETTERING_STYLE.ink);
    }
    expect(texts[0]!.state.font).toBe(cssFont('dialogue', 14 * SCALE, 400));
    expect(texts[0]!.state.font).toMatch(/^400 43\.75px 'Comic Neue', /);
    expect(texts[4]!.state.font).toBe(cssFont('display', 30 * SCALE, letteringWeight('sfx', 'display')));
    expect(texts[4]!.state.font).toMatch(/^400 93\.75px 'Bangers', /);
    expect(texts[5]!.state.font).toMatch(/^700 43\.75px 'Comic Neue', /);
  });

  it('letters a page without pictures as empty grey cells', () => {
    const { ctx, calls } = recorder();
    paintPage(ctx, page, new Map(), 1, (d) => ({ d }));
    expect(calls.filter((c) => c.op === 'drawImage')).toHaveLength(0);
    expect(
      calls.filter((c) => c.op === 'fillRect' && c.state.fillStyle === LETTERING_STYLE.emptyCell),
    ).toHaveLength(2);
  });
});

describe('renderSize', () => {
  it('scales page units by dpi / 96 and rounds to whole pixels', () => {
    expect(renderSize({ width: 793.7, height: 1122.5 }, 300)).toEqual({
      ok: true,
      width: 2480,
      height: 3508,
      scale: 300 / 96,
    });
  });

  it('refuses a resolution outside 72…600 dpi with a sentence naming the range', () => {
    for (const dpi of [71, 601, Number.NaN]) {
      const r = renderSize({ width: 800, height: 1100 }, dpi);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.message).toMatch(/between 72 and 600 dpi/);
    }
  });

  it('refuses a page above the pixel budget and says what is allowed', () => {
    const r = renderSize({ width: 800, height: 20000 }, 300);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(new RegExp(`at most ${MAX_RENDER_PIXELS / 1e6} megapixels`));
    expect(renderSize({ width: 793.7, height: 1122.5 }, 600).ok).toBe(true);
  });
});

describe('paintPage with a region and without lettering', () => {
  it('shifts the page up by the region top in whole device pixels, paths and text alike', () => {
    const { ctx, calls } = recorder();
    const region = { y: 300, h: 300 };
    paintPage(ctx, page, pictures, SCALE, (d) => ({ d }), { region });
    const top = Math.round(300 * SCALE);
    expect(regionPixels(region, SCALE)).toEqual({ top, height: Math.round(600 * SCALE) - top });
    const shapes = calls.filter((c) => c.op === 'fill' || c.op === 'stroke' || c.op === 'strokeRect');
    expect(shapes.length).toBeGreaterThan(0);
    for (const c of shapes) expect(c.state.transform).toEqual([SCALE, 0, 0, SCALE, 0, -top]);
    const stop = calls.find((c) => c.op === 'fillText' && c.args[0] === 'STOP')!;
    expect(stop.state.transform).toEqual([1, 0, 0, 1, 0, 0]);
    expect(stop.args[1]).toBeCloseTo(100 * SCALE);
    expect(stop.args[2]).toBeCloseTo(350 * SCALE - top);
    // Without a region nothing moves (the reader's PNG is unchanged).
    const whole = recorder();
    paintPage(whole.ctx, page, pictures, SCALE, (d) => ({ d }));
    const stop0 = whole.calls.find((c) => c.op === 'fillText' && c.args[0] === 'STOP')!;
    expect(stop0.args[2]).toBeCloseTo(350 * SCALE);
  });

  it('consecutive regions share their pixel edges', () => {
    const a = regionPixels({ y: 0, h: 123.4 }, SCALE);
    const b = regionPixels({ y: 123.4, h: 200.3 }, SCALE);
    expect(a.top + a.height).toBe(b.top);
  });

  it('lettering: false draws pictures and frames but no balloon or text', () => {
    const { ctx, calls } = recorder();
    paintPage(ctx, page, pictures, SCALE, (d) => ({ d }), { lettering: false });
    expect(calls.filter((c) => c.op === 'drawImage')).toHaveLength(1);
    expect(calls.filter((c) => c.op === 'strokeRect')).toHaveLength(2);
    expect(calls.filter((c) => ['fill', 'stroke', 'fillText', 'strokeText'].includes(c.op))).toEqual([]);
  });
});

describe('renderSize of a region', () => {
  it('counts the pixels of the region, not of the whole strip', () => {
    const strip = { width: 800, height: 40000 };
    expect(renderSize(strip, 300).ok).toBe(false);
    const r = renderSize(strip, 300, { y: 10000, h: 2000 });
    expect(r).toEqual({ ok: true, width: 2500, height: 6250, scale: 300 / 96 });
    const big = renderSize(strip, 300, { y: 0, h: 20000 });
    expect(big.ok).toBe(false);
    if (!big.ok) expect(big.message).toMatch(/this region would be .* smaller region/);
  });

  it('refuses a region outside the page', () => {
    for (const region of [
      { y: -1, h: 10 },
      { y: 39995, h: 10 },
      { y: 0, h: 0 },
    ]) {
      const r = renderSize({ width: 800, height: 40000 }, 96, region);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.message).toMatch(/within the page/);
    }
  });
});
