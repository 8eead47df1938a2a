/**
 * judgePanel with fake ports. The fakes are deterministic: the image embedder maps a crop's mean
 * colour to a vector from a table, so each character's crop embedding is chosen by the test;
 * vectors live in a space with one axis per named concept (a character, a vocabulary phrase).
 */
import { describe, expect, it } from 'vitest';
import {
  colorHistogram,
  judgePanel,
  judgePanelDetailed,
  scenePhrase,
  detectionQueries,
} from '../../src/lib/judge';
import type {
  CharacterReferences,
  Detection,
  GroundedRegion,
  ImageLike,
  JudgePorts,
} from '../../src/lib/judge';
import { JudgeReport, newCastMember, newCharacter, newPanel } from '../../src/lib/domain';
import type { Character, Panel, RegionBox } from '../../src/lib/domain';

// ---------------------------------------------------------------- vectors
const axes = new Map<string, number>();
const DIM = 256;
const axis = (name: string) => {
  if (!axes.has(name)) axes.set(name, axes.size);
  return axes.get(name)!;
};
function vec(parts: Record<string, number>): Float32Array {
  const v = new Float32Array(DIM);
  for (const [k, w] of Object.entries(parts)) v[axis(k)] = w;
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

// ----------------------------------------------------------------- image
type RGB = [number, number, number];
const W = 100;
const H = 100;
const WHITE: RGB = [255, 255, 255];
const RED: RGB = [220, 40, 40];
const BLUE: RGB = [40, 40, 220];
const GREEN: RGB = [40, 200, 40];

function paint(img: ImageLike, box: RegionBox, rgb: RGB) {
  for (let y = Math.round(box.y * H); y < Math.round((box.y + box.h) * H); y++)
    for (let x = Math.round(box.x * W); x < Math.round((box.x + box.w) * W); x++)
      img.data.set([...rgb, 255], (y * W + x) * 4);
}
function canvas(): ImageLike {
  const img = { width: W, height: H, data: new Uint8ClampedArray(W * H * 4) };
  paint(img, { x: 0, y: 0, w: 1, h: 1 }, WHITE);
  return img;
}
const solid = (rgb: RGB, size = 20): ImageLike => {
  const img = { width: size, height: size, data: new Uint8ClampedArray(size * size * 4) };
  for (let i = 0; i < size * size; i++) img.data.set([...rgb, 255], i * 4);
  return img;
};

const MIRA_BOX: RegionBox = { x: 0.1, y: 0.2, w: 0.3, h: 0.7 };
const TOMAS_BOX: RegionBox = { x: 0.6, y: 0.2, w: 0.3, h: 0.7 };

// ------------------------------------------------------------ characters
const mira: Character = {
  ...newCharacter(1, 'Mira'),
  id: 'mira',
  species: 'girl',
  hair: 'copper bob',
  verified: true,
};
const tomas: Character = { ...newCharacter(1, 'Tomas'), id: 'tomas', species: 'fox', verified: true };
const characters = new Map([
  ['mira', mira],
  ['tomas', tomas],
]);

function spec(): Panel {
  const p = newPanel('story', 1);
  p.cast = [
    { ...newCastMember('mira', 0, 2), pose: 'jumping', expression: 'laughing', facing: 'front' },
    { ...newCastMember('tomas', 1, 2), pose: 'sitting', expression: 'sad', facing: 'profile-left' },
  ];
  p.scene.location = 'night market';
  p.scene.timeOfDay = 'night';
  p.composition = { shotSize: 'full', cameraAngle: 'eye-level' };
  return p;
}

const MIRA_CROP = vec({
  mira: 3,
  'a person jumping': 1,
  'a laughing face': 1,
  'a person facing the camera': 1,
});
const TOMAS_CROP = vec({
  tomas: 3,
  'a person sitting on a chair': 1,
  'a sad face': 1,
  'a person in profile facing left': 1,
});
const PANEL = vec({ [scenePhrase(spec().scene)]: 1, 'a full body shot': 1, 'an eye-level view': 1 });

function references(): Map<string, CharacterReferences> {
  return new Map([
    [
      'mira',
      {
        templateEmbeddings: [vec({ mira: 1 }), vec({ mira: 1, other: 1 })],
        wardrobeHistograms: [colorHistogram(solid(RED), { x: 0, y: 0, w: 1, h: 1 }, 8)],
        earlierEmbeddings: [vec({ mira: 2, 'a person standing': 1 })],
      },
    ],
    ['tomas', { templateEmbeddings: [vec({ tomas: 1 })] }],
  ]);
}

interface World {
  palette: Array<[RGB, Float32Array]>;
  detections: Detection[];
  caption?: string;
  grounding?: (phrase: string) => GroundedRegion[];
}

const GOOD_CAPTION =
  'A laughing girl with copper hair jumps in the air next to a sad fox sitting on a stool at a night market.';
const GOOD_GROUNDING: Record<string, GroundedRegion[]> = {
  'the girl with copper bob hair': [{ box: MIRA_BOX, label: 'the girl with copper bob hair' }],
  'the fox': [{ box: TOMAS_BOX, label: 'the fox' }],
};

function fakes(world: World) {
  const calls = {
    detect: [] as string[][],
    embedImage: 0,
    embedText: 0,
    describe: 0,
    ground: [] as string[],
  };
  const ports: Required<JudgePorts> = {
    detector: {
      detect: async (_img, queries) => {
        calls.detect.push(queries);
        return world.detections;
      },
    },
    imageEmbedder: {
      embedImage: async (img) => {
        calls.embedImage++;
        const mean = [0, 1, 2].map((c) => {
          let s = 0;
          for (let i = c; i < img.data.length; i += 4) s += img.data[i]!;
          return s / (img.width * img.height);
        });
        const dist = (rgb: RGB) => Math.hypot(...rgb.map((v, i) => v - mean[i]!));
        return [...world.palette].sort((a, b) => dist(a[0]) - dist(b[0]))[0]![1];
      },
    },
    textEmbedder: {
      embedText: async (texts) => {
        calls.embedText++;
        return texts.map((t) => vec({ [t]: 1 }));
      },
    },
    vlm: {
      describe: async () => {
        calls.describe++;
        return world.caption ?? GOOD_CAPTION;
      },
      ground: async (_img, phrase) => {
        calls.ground.push(phrase);
        return world.grounding ? world.grounding(phrase) : (GOOD_GROUNDING[phrase] ?? []);
      },
    },
  };
  return { ports, calls };
}

function goodWorld(): { image: ImageLike; world: World } {
  const image = canvas();
  paint(image, MIRA_BOX, RED);
  paint(image, TOMAS_BOX, BLUE);
  return {
    image,
    world: {
      palette: [
        [WHITE, PANEL],
        [RED, MIRA_CROP],
        [BLUE, TOMAS_CROP],
      ],
      detections: [
        { box: TOMAS_BOX, score: 0.8, queryIndex: 1 },
        { box: MIRA_BOX, score: 0.9, queryIndex: 0 },
      ],
    },
  };
}

const byId = (r: JudgeReport, id: string) => {
  const c = r.checks.find((x) => x.id === id);
  if (!c) throw new Error(`no check ${id} in ${r.checks.map((x) => x.id).join(', ')}`);
  return c;
};
const ALL_IDS = [
  'cast@mira',
  'cast@tomas',
  'count',
  ...['mira', 'tomas'].flatMap((c) =>
    ['identity', 'identity.self', 'wardrobe', 'copy-paste', 'pose', 'expression', 'facing'].map(
      (k) => `${k}@${c}`,
    ),
  ),
  'scene',
  'composition#shotSize',
  'composition#cameraAngle',
  ...['expression', 'pose', 'hair', 'species'].map((t) => `caption#${t}@mira`),
  ...['expression', 'pose', 'species'].map((t) => `caption#${t}@tomas`),
  'caption#location',
  'caption#time',
  'caption#count',
  'placement@mira',
  'placement@tomas',
].sort();

describe('judgePanel', () => {
  it('passes a good panel and reports every check with score, threshold and box', async () => {
    const { image, world } = goodWorld();
    const { ports, calls } = fakes(world);
    const report = await judgePanel({
      image,
      panel: spec(),
      characters,
      references: references(),
      ports,
      judgedAt: 42,
    });
    expect(JudgeReport.parse(report)).toEqual(report);
    expect(report.checks.map((c) => c.id).sort()).toEqual(ALL_IDS);
    expect(report.verdict).toBe('pass');
    expect(report.judgedAt).toBe(42);
    expect(calls.detect[0]).toEqual(['a person', 'a girl', 'a fox']);

    // the planned region is the default left half; IoU with the figure = 0.21 / 0.45
    expect(byId(report, 'cast@mira')).toMatchObject({ passed: true, box: MIRA_BOX, threshold: 0.1 });
    expect(byId(report, 'cast@mira').score).toBeCloseTo(0.21 / 0.45);
    expect(byId(report, 'count')).toMatchObject({
      score: 1,
      passed: true,
      box: null,
      detail: 'Expected 2, found 2.',
    });
    // identity: max over templates of cos(MIRA_CROP, template) = 3/√12
    expect(byId(report, 'identity@mira').score).toBeCloseTo(3 / Math.sqrt(12));
    expect(byId(report, 'identity@mira')).toMatchObject({
      passed: true,
      hard: true,
      threshold: 0.78,
      box: MIRA_BOX,
    });
    // self: mean over earlier panels; the only one is vec({mira: 2, standing: 1}) → 6/(√12·√5)
    expect(byId(report, 'identity.self@mira').score).toBeCloseTo(6 / (Math.sqrt(12) * Math.sqrt(5)));
    expect(byId(report, 'wardrobe@mira')).toMatchObject({ score: 1, passed: true, hard: false });
    expect(byId(report, 'copy-paste@mira').passed).toBe(true);
    expect(byId(report, 'pose@mira')).toMatchObject({ passed: true, hard: true });
    expect(byId(report, 'pose@mira').score).toBeGreaterThan(0.99);
    expect(byId(report, 'pose@mira').detail).toContain('"Jumping" ranked 1 of 28');
    expect(byId(report, 'facing@tomas').passed).toBe(true);
    expect(byId(report, 'scene').score).toBeCloseTo(1 / Math.sqrt(3));
    expect(byId(report, 'composition#shotSize').passed).toBe(true);
    // caption: one description, every item mentioned
    expect(calls.describe).toBe(1);
    expect(report.checks.filter((c) => c.kind === 'caption').every((c) => c.passed && c.score === 1)).toBe(
      true,
    );
    expect(byId(report, 'caption#count')).toMatchObject({
      label: 'Caption mentions 2 characters',
      kind: 'caption',
      hard: false,
      threshold: 0.5,
      box: null,
      detail: 'Says 2: "A laughing girl with copper hair…"; "…air next to a sad fox sitting on a…".',
    });
    expect(byId(report, 'caption#expression@mira')).toMatchObject({
      characterId: 'mira',
      box: spec().cast[0]!.region,
      detail: 'Mentioned: "A laughing girl with copper…".',
    });
    // placement: each descriptor grounded once, scored against the planned region
    expect(calls.ground).toEqual(['the girl with copper bob hair', 'the fox']);
    expect(byId(report, 'placement@mira')).toMatchObject({
      kind: 'placement',
      label: 'Mira is located where planned',
      passed: true,
      hard: false,
      threshold: 0.35,
      box: MIRA_BOX,
    });
    expect(byId(report, 'placement@mira').score).toBeCloseTo(0.5 * (0.21 / 0.45) + 0.5);
    expect(byId(report, 'placement@mira').detail).toBe(
      'The VLM located "the girl with copper bob hair": IoU 0.47 with the planned region, centres 0.00 apart; score 0.73, needs 0.35.',
    );
    // skipped: Tomas has no earlier panels and no wardrobe histograms
    expect(byId(report, 'identity.self@tomas')).toMatchObject({
      passed: true,
      hard: false,
      detail: 'not run: no earlier accepted panel with Tomas',
    });
    expect(byId(report, 'wardrobe@tomas').detail).toMatch(/^not run: /);
    expect(report.weightedScore).toBeGreaterThan(0.7);
    expect(report.weightedScore).toBeLessThanOrEqual(1);
    expect(calls.embedText).toBe(1);
  });

  it('fails when a character is missing, with the planned region as the box', async () => {
    const { image, world } = goodWorld();
    world.detections = world.detections.filter((d) => d.box === MIRA_BOX);
    const { ports } = fakes(world);
    const report = await judgePanel({ image, panel: spec(), characters, references: references(), ports });
    expect(report.verdict).toBe('fail');
    expect(byId(report, 'cast@tomas')).toMatchObject({
      passed: false,
      hard: true,
      box: spec().cast[1]!.region,
    });
    expect(byId(report, 'count').score).toBeCloseTo(Math.exp(-0.5));
    expect(byId(report, 'count').detail).toBe('Expected 2, found 1 (1 missing).');
    expect(byId(report, 'identity@tomas').detail).toBe('not run: Tomas was not found in the picture');
    expect(report.checks.map((c) => c.id).sort()).toEqual(ALL_IDS);
  });

  it('flags an extra character with its box and fails the count', async () => {
    const { image, world } = goodWorld();
    const stranger: RegionBox = { x: 0.42, y: 0.0, w: 0.16, h: 0.15 };
    world.detections = [...world.detections, { box: stranger, score: 0.5, queryIndex: 0 }];
    const { ports } = fakes(world);
    const report = await judgePanel({ image, panel: spec(), characters, references: references(), ports });
    expect(byId(report, 'cast.extra#0')).toMatchObject({
      passed: false,
      hard: false,
      box: stranger,
      characterId: null,
    });
    expect(byId(report, 'count')).toMatchObject({ passed: false, box: stranger });
    expect(report.verdict).toBe('fail');
  });

  it('ignores low-scoring detections and merges duplicates across queries', async () => {
    const { image, world } = goodWorld();
    world.detections = [
      ...world.detections,
      { box: { ...MIRA_BOX, x: 0.11 }, score: 0.4, queryIndex: 1 },
      { box: { x: 0.45, y: 0, w: 0.1, h: 0.1 }, score: 0.05, queryIndex: 0 },
    ];
    const { ports } = fakes(world);
    const report = await judgePanel({ image, panel: spec(), characters, references: references(), ports });
    expect(byId(report, 'count').passed).toBe(true);
    expect(report.checks.some((c) => c.id.startsWith('cast.extra'))).toBe(false);
  });

  it('fails a hard pose check when the requested pose is not in the top k', async () => {
    const { image, world } = goodWorld();
    world.palette[1] = [
      RED,
      vec({ mira: 3, 'a person running': 1, 'a laughing face': 1, 'a person facing the camera': 1 }),
    ];
    const { ports } = fakes(world);
    const report = await judgePanel({
      image,
      panel: spec(),
      characters,
      references: references(),
      ports,
      thresholds: { 'pose.topK': 1 },
    });
    const pose = byId(report, 'pose@mira');
    expect(pose.passed).toBe(false);
    expect(pose.score).toBeLessThan(pose.threshold);
    expect(pose.detail).toContain('most likely "Running"');
    expect(report.verdict).toBe('fail');
    // the same panel passes when the artist turns the pose check soft
    const soft = await judgePanel({
      image,
      panel: spec(),
      characters,
      references: references(),
      ports,
      thresholds: { 'pose.topK': 1, 'pose.hard': 0 },
    });
    expect(soft.verdict).toBe('pass');
  });

  it('catches a template pasted into the panel and a changed jacket', async () => {
    const { image, world } = goodWorld();
    const template = vec({ mira: 1 });
    world.palette[1] = [RED, template];
    paint(image, { x: 0.1, y: 0.45, w: 0.3, h: 0.25 }, GREEN); // Mira's torso in green
    const refs = references();
    const redCrop = solid(RED);
    refs.set('mira', { ...refs.get('mira')!, templateEmbeddings: [template], templateImages: [redCrop] });
    const { ports } = fakes(world);
    const report = await judgePanel({ image, panel: spec(), characters, references: refs, ports });
    // crop cosine 1 but the torso differs: pixels are not a copy (the check needs both)
    expect(byId(report, 'copy-paste@mira')).toMatchObject({ passed: true, score: 1 });
    expect(byId(report, 'wardrobe@mira')).toMatchObject({ passed: false, hard: false });
    expect(byId(report, 'wardrobe@mira').score).toBeLessThan(0.1);

    const pasted = canvas();
    paint(pasted, MIRA_BOX, RED);
    paint(pasted, TOMAS_BOX, BLUE);
    const again = await judgePanel({ image: pasted, panel: spec(), characters, references: refs, ports });
    expect(byId(again, 'copy-paste@mira')).toMatchObject({ passed: false, hard: true, box: MIRA_BOX });
    expect(byId(again, 'copy-paste@mira').detail).toMatch(/^Near-identical to template 1: crop cosine 1.00/);
    expect(again.verdict).toBe('fail');
  });

  it('caption and placement are soft: what the VLM misses lowers the score, not the verdict', async () => {
    const { image, world } = goodWorld();
    world.caption = 'A girl stands next to an orange animal. Nobody is laughing.';
    world.grounding = (phrase) =>
      phrase === 'the fox'
        ? []
        : [
            { box: TOMAS_BOX, label: phrase },
            { box: MIRA_BOX, label: phrase },
          ];
    const { ports, calls } = fakes(world);
    const input = { image, panel: spec(), characters, references: references(), ports };
    const good = await judgePanel(input);
    world.grounding = (phrase) => (phrase === 'the fox' ? [] : [{ box: TOMAS_BOX, label: phrase }]);
    const report = await judgePanel(input);
    expect(calls.describe).toBe(2);
    expect(report.verdict).toBe('pass');
    expect(byId(report, 'caption#expression@mira')).toMatchObject({
      score: 0,
      passed: false,
      hard: false,
      detail: 'Mentioned only as absent: "Nobody is laughing".',
    });
    expect(byId(report, 'caption#pose@mira').detail).toMatch(/^Not mentioned \(looked for jumping, /);
    expect(byId(report, 'caption#species@mira')).toMatchObject({ passed: true });
    expect(byId(report, 'caption#location')).toMatchObject({
      score: 0,
      detail: 'Not mentioned (looked for night, market).',
    });
    expect(byId(report, 'caption#count')).toMatchObject({
      score: 0,
      detail: 'Says 1, expected 2: "A girl stands next to…".',
    });
    // the best of several boxes counts; a phrase that is not found scores 0 at the planned region
    expect(byId(good, 'placement@mira')).toMatchObject({ passed: true, box: MIRA_BOX });
    expect(byId(good, 'placement@mira').detail).toContain('(best of 2 boxes)');
    expect(byId(report, 'placement@mira')).toMatchObject({ score: 0, passed: false, box: TOMAS_BOX });
    expect(byId(report, 'placement@tomas')).toMatchObject({
      score: 0,
      passed: false,
      box: spec().cast[1]!.region,
      detail: 'The VLM did not locate "the fox" in the picture.',
    });
    expect(report.weightedScore).toBeLessThan(good.weightedScore);

    // made hard by the artist, they fail the panel
    const strict = await judgePanel({ ...input, thresholds: { 'caption.hard': 1, 'placement.hard': 1 } });
    expect(byId(strict, 'caption#location')).toMatchObject({ hard: true, passed: false });
    expect(strict.verdict).toBe('fail');
  });

  it('records every check as not run when the pack has no models', async () => {
    const { image } = goodWorld();
    const report = await judgePanel({
      image,
      panel: spec(),
      characters,
      references: references(),
      ports: {},
    });
    expect(report.checks.map((c) => c.id).sort()).toEqual(
      ALL_IDS.filter((id) => id !== 'wardrobe@mira' && id !== 'wardrobe@tomas')
        .concat(['wardrobe@mira', 'wardrobe@tomas'])
        .sort(),
    );
    const ran = report.checks.filter((c) => !c.detail.startsWith('not run: '));
    // wardrobe needs only pixels and the template histograms
    expect(ran.map((c) => c.id)).toEqual(['wardrobe@mira']);
    expect(byId(report, 'count').detail).toBe('not run: no detector in this pack');
    expect(byId(report, 'caption#time').detail).toBe('not run: no VLM in this pack');
    expect(byId(report, 'placement@mira').detail).toBe('not run: no VLM in this pack');
    expect(byId(report, 'scene').detail).toBe('not run: no image encoder in this pack');
    expect(
      report.checks.filter((c) => c.detail.startsWith('not run')).every((c) => c.passed && !c.hard),
    ).toBe(true);
    expect(report.verdict).toBe('pass');
  });

  it('without a detector, crops the planned regions and still checks identity', async () => {
    const { image, world } = goodWorld();
    const { ports } = fakes(world);
    const p = spec();
    p.cast[0]!.region = MIRA_BOX;
    p.cast[1]!.region = TOMAS_BOX;
    const outcome = await judgePanelDetailed({
      image,
      panel: p,
      characters,
      references: references(),
      ports: { ...ports, detector: undefined },
    });
    expect(byId(outcome.report, 'cast@mira').detail).toBe('not run: no detector in this pack');
    expect(byId(outcome.report, 'identity@mira')).toMatchObject({ passed: true, box: MIRA_BOX });
    expect(byId(outcome.report, 'identity@mira').detail).toContain('planned region');
    expect(outcome.found.get('mira')).toMatchObject({ box: MIRA_BOX, detected: false });
    expect(outcome.found.get('mira')!.embedding).toBe(MIRA_CROP);
    expect(outcome.panelEmbedding).toBe(PANEL);
  });

  it('without a text encoder, skips zero-shot and scene checks but runs identity', async () => {
    const { image, world } = goodWorld();
    const { ports } = fakes(world);
    const report = await judgePanel({
      image,
      panel: spec(),
      characters,
      references: references(),
      ports: { ...ports, textEmbedder: undefined },
    });
    expect(byId(report, 'pose@mira').detail).toBe('not run: no text encoder in this pack');
    expect(byId(report, 'composition#shotSize').detail).toBe('not run: no text encoder in this pack');
    expect(byId(report, 'identity@mira').detail).not.toMatch(/^not run/);
  });

  it('reuses cached text embeddings across panels', async () => {
    const { image, world } = goodWorld();
    const { ports, calls } = fakes(world);
    const cache = new Map<string, Float32Array>();
    await judgePanel({
      image,
      panel: spec(),
      characters,
      references: references(),
      ports,
      textEmbeddingCache: cache,
    });
    const second = await judgePanel({
      image,
      panel: spec(),
      characters,
      references: references(),
      ports,
      textEmbeddingCache: cache,
    });
    expect(calls.embedText).toBe(1);
    expect(second.verdict).toBe('pass');
  });

  it('rejects a malformed image and stops when aborted', async () => {
    const { image, world } = goodWorld();
    const { ports } = fakes(world);
    await expect(
      judgePanel({
        image: { width: 10, height: 10, data: new Uint8ClampedArray(7) },
        panel: spec(),
        characters,
        ports,
      }),
    ).rejects.toThrow('A 10×10 RGBA image needs 400 bytes, got 7.');
    const controller = new AbortController();
    controller.abort(new Error('cancelled'));
    await expect(
      judgePanel({ image, panel: spec(), characters, ports, signal: controller.signal }),
    ).rejects.toThrow('cancelled');
  });

  it('asks the detector for each species once', () => {
    const p = spec();
    p.cast.push({ ...newCastMember('otter', 2, 3) });
    const c = new Map([
      ...characters,
      ['otter', { ...newCharacter(1, 'Otter'), id: 'otter', species: 'otter' }],
    ]);
    expect(detectionQueries(p, c)).toEqual(['a person', 'a girl', 'a fox', 'an otter']);
  });
});

describe('judgePanel on a scene-only panel (no cast)', () => {
  const sceneOnly = (): Panel => ({ ...spec(), cast: [] });
  const SCENE_CAPTION = 'A night market with lanterns, seen in full at night.';
  const emptyWorld = (detections: Detection[] = []): { image: ImageLike; world: World } => ({
    image: canvas(),
    world: { palette: [[WHITE, PANEL]], detections, caption: SCENE_CAPTION },
  });

  it('judges scene and composition, runs no character check, and passes', async () => {
    const { image, world } = emptyWorld();
    const { ports, calls } = fakes(world);
    const report = await judgePanel({ image, panel: sceneOnly(), characters, ports, judgedAt: 1 });
    expect(JudgeReport.parse(report)).toEqual(report);
    expect(report.checks.map((c) => c.id).sort()).toEqual(
      [
        'count',
        'scene',
        'composition#shotSize',
        'composition#cameraAngle',
        'caption#location',
        'caption#time',
        'caption#count',
      ].sort(),
    );
    expect(report.checks.every((c) => c.characterId === null)).toBe(true);
    expect(byId(report, 'count')).toMatchObject({
      label: 'No characters in the picture (scene only)',
      score: 1,
      passed: true,
      hard: false,
      detail: 'Expected 0, found 0.',
    });
    for (const id of ['scene', 'composition#shotSize', 'composition#cameraAngle'])
      expect(byId(report, id).detail, id).not.toMatch(/^not run/);
    expect(byId(report, 'scene').score).toBeCloseTo(1 / Math.sqrt(3));
    expect(byId(report, 'composition#shotSize').passed).toBe(true);
    expect(byId(report, 'caption#count')).toMatchObject({ label: 'Caption mentions no one', score: 1 });
    expect(report.verdict).toBe('pass');
    expect(report.weightedScore).toBeGreaterThan(0.5);
    // Only the generic query: there is no species to look for; nothing to ground.
    expect(calls.detect[0]).toEqual(['a person']);
    expect(calls.ground).toEqual([]);
  });

  it('reports figures it finds as soft findings with boxes: the panel can still pass', async () => {
    const passerby: RegionBox = { x: 0.4, y: 0.3, w: 0.2, h: 0.5 };
    const { image, world } = emptyWorld([{ box: passerby, score: 0.7, queryIndex: 0 }]);
    world.caption = 'A woman walks through a night market at night.';
    const { ports } = fakes(world);
    const report = await judgePanel({ image, panel: sceneOnly(), characters, ports });
    expect(byId(report, 'cast.extra#0')).toMatchObject({
      label: 'Figure in the picture',
      passed: false,
      hard: false,
      box: passerby,
    });
    expect(byId(report, 'count')).toMatchObject({ passed: false, hard: false, box: passerby });
    expect(byId(report, 'count').detail).toBe(
      'Expected 0, found 1 (1 extra). A scene-only panel expects no one; figures are soft.',
    );
    expect(byId(report, 'caption#count').passed).toBe(false);
    expect(report.verdict).toBe('pass');
    // The finding still costs score: an empty scene ranks above one with a figure.
    const clean = await judgePanel({
      image,
      panel: sceneOnly(),
      characters,
      ports: fakes(emptyWorld().world).ports,
    });
    expect(clean.weightedScore).toBeGreaterThan(report.weightedScore);
  });

  it('a scene check the artist made hard decides the verdict of a scene-only panel', async () => {
    const { image, world } = emptyWorld();
    const { ports } = fakes(world);
    const report = await judgePanel({
      image,
      panel: sceneOnly(),
      characters,
      ports,
      thresholds: { scene: 0.9, 'scene.hard': 1 },
    });
    expect(byId(report, 'scene')).toMatchObject({ passed: false, hard: true });
    expect(report.verdict).toBe('fail');
  });

  it('without a detector, the count is skipped with the scene-only label', async () => {
    const { image, world } = emptyWorld();
    const { ports } = fakes(world);
    const report = await judgePanel({
      image,
      panel: sceneOnly(),
      characters,
      ports: { ...ports, detector: undefined },
    });
    expect(byId(report, 'count')).toMatchObject({
      label: 'No characters in the picture (scene only)',
      detail: 'not run: no detector in this pack',
    });
    expect(report.verdict).toBe('pass');
  });
});
