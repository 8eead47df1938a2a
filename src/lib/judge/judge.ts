/**
 * judgePanel: one generated panel plus its spec → a JudgeReport. Pure apart from the injected
 * ports. Stages:
 *   1. check inputs        6. scene (image–text alignment)
 *   2. detect and match     7. composition (zero-shot shot size, camera angle)
 *   3. count                8. VLM caption and placement (Florence-2's own tasks: caption.ts)
 *   4. identity, wardrobe,  9. assemble the report
 *      copy-paste per character
 *   5. pose, expression, facing per character (zero-shot)
 * A scene-only panel (no cast) gets the count (soft: see stage 3), scene, composition and caption
 * checks, and no per-character check.
 * Every check appears in the report; one that cannot run (port missing, nothing to compare with,
 * character not found) is recorded as passed, soft, score 0, with detail "not run: <reason>".
 * Errors thrown by a port propagate: a broken model must not turn into a silent pass.
 */
import { CAMERA_ANGLES, EXPRESSIONS, FACINGS, POSES, SHOT_SIZES, StoryLoomError } from '../domain';
import type { Character, JudgeCheck, JudgeReport, Panel, RegionBox, Scene, Term } from '../domain';
import { captionItems, scoreCaptionItem } from './caption';
import { countCheck, matchCast, nms, unionBox } from './matching';
import type { AssignMethod, CastMatch } from './matching';
import { analyseCaption } from './mentions';
import type { AnalysedCaption } from './mentions';
import { bestPlacement, groundingPhrases } from './placement';
import { assertImage, clampBox, clothingBox, colorHistogram, crop } from './ports';
import type { Detection, ImageLike, JudgePorts } from './ports';
import { consistency, copyPaste, cosine, wardrobeSimilarity } from './similarity';
import { resolveThresholds } from './thresholds';
import type { CheckKey, JudgeThresholds, ZeroShotKey } from './thresholds';
import { NOT_RUN, assembleReport } from './verdict';
import { checkPhrases, zeroShot } from './zero-shot';

export interface CharacterReferences {
  /** Image embeddings of the verified templates (same encoder as the ImageEmbedder port). */
  templateEmbeddings: readonly Float32Array[];
  /** Template pixels in the same order, for the pixel half of the copy-paste test. */
  templateImages?: readonly (ImageLike | null)[];
  /** colorHistogram(template, clothingBox(box), bins) of each template. */
  wardrobeHistograms?: readonly Float32Array[];
  /** Crop embeddings of this character in earlier accepted panels of the story. */
  earlierEmbeddings?: readonly Float32Array[];
}

export interface JudgePanelInput {
  image: ImageLike;
  panel: Pick<Panel, 'cast' | 'scene' | 'composition'>;
  characters: ReadonlyMap<string, Character>;
  references?: ReadonlyMap<string, CharacterReferences>;
  ports: JudgePorts;
  /** settings.thresholds, or thresholds already resolved. */
  thresholds?: Readonly<Record<string, number>> | JudgeThresholds;
  /** judgedAt of the report (ms since epoch); defaults to now. */
  judgedAt?: number;
  signal?: AbortSignal;
  /** Text embeddings by text, shared across panels (vocabulary phrases never change). */
  textEmbeddingCache?: Map<string, Float32Array>;
  matchMethod?: AssignMethod;
}

export interface FoundCharacter {
  box: RegionBox;
  /** True when the box came from the detector, false when it is the planned region (no detector). */
  detected: boolean;
  /** Crop embedding: stored with an accepted attempt it becomes a self-consistency reference. */
  embedding: Float32Array | null;
}

export interface JudgeOutcome {
  report: JudgeReport;
  found: Map<string, FoundCharacter>;
  panelEmbedding: Float32Array | null;
}

/** Appearance is computed for at most this many detections (by score); the rest match on overlap only. */
const MAX_EMBEDDED_DETECTIONS = 12;

const fmt = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : String(v));

/** Detector queries: a generic person plus each distinct species of the cast. */
export function detectionQueries(
  panel: Pick<Panel, 'cast'>,
  characters: ReadonlyMap<string, Character>,
): string[] {
  const queries = ['a person'];
  for (const m of panel.cast) {
    const species = characters.get(m.characterId)?.species.trim().toLowerCase();
    if (!species || species === 'person' || species === 'human') continue;
    const q = /^(a|an)\s/.test(species) ? species : `${/^[aeiou]/.test(species) ? 'an' : 'a'} ${species}`;
    if (!queries.includes(q)) queries.push(q);
  }
  return queries;
}

/** The scene as one phrase for image–text alignment. */
export function scenePhrase(scene: Scene): string {
  const parts = [
    scene.location.trim(),
    `at ${scene.timeOfDay}`,
    scene.weather.trim(),
    scene.lighting.trim(),
    scene.mood.trim() && `${scene.mood.trim()} mood`,
  ].filter(Boolean);
  return `a picture of ${parts.join(', ')}`;
}

function isResolved(t: JudgePanelInput['thresholds']): t is JudgeThresholds {
  return !!t && typeof t === 'object' && 'checks' in t && 'params' in t;
}

export async function judgePanel(input: JudgePanelInput): Promise<JudgeReport> {
  return (await judgePanelDetailed(input)).report;
}

export async function judgePanelDetailed(input: JudgePanelInput): Promise<JudgeOutcome> {
  // 1. check inputs
  const { image, panel, characters, ports, signal } = input;
  assertImage(image);
  const T = isResolved(input.thresholds) ? input.thresholds : resolveThresholds(input.thresholds ?? {});
  const references = input.references ?? new Map<string, CharacterReferences>();
  const refsOf = (id: string): CharacterReferences => references.get(id) ?? { templateEmbeddings: [] };
  const nameOf = (id: string) => characters.get(id)?.name || id;
  const checks: JudgeCheck[] = [];

  const make = (
    key: CheckKey,
    id: string,
    label: string,
    characterId: string | null,
    r: {
      score: number;
      threshold?: number;
      passed: boolean;
      box: RegionBox | null;
      detail: string;
      hard?: boolean;
    },
  ): JudgeCheck => {
    const p = T.checks[key];
    return {
      id,
      kind: p.kind,
      label,
      characterId,
      score: r.score,
      threshold: r.threshold ?? p.threshold,
      passed: r.passed,
      hard: r.hard ?? p.hard,
      box: r.box,
      detail: r.detail,
    };
  };
  const skip = (
    key: CheckKey,
    id: string,
    label: string,
    characterId: string | null,
    box: RegionBox | null,
    reason: string,
  ) =>
    checks.push(
      make(key, id, label, characterId, {
        score: 0,
        passed: true,
        hard: false,
        box,
        detail: `${NOT_RUN}${reason}`,
      }),
    );
  const step = () => signal?.throwIfAborted();

  const embedImage = async (img: ImageLike): Promise<Float32Array | null> => {
    if (!ports.imageEmbedder) return null;
    step();
    return ports.imageEmbedder.embedImage(img);
  };

  // Text embeddings for everything the zero-shot and scene checks need, in one call.
  const textEmbedding = new Map<string, Float32Array>();
  const needTexts = async (texts: string[]) => {
    if (!ports.textEmbedder || !ports.imageEmbedder) return;
    const cache = input.textEmbeddingCache;
    const missing = [...new Set(texts)].filter((t) => !cache?.has(t));
    if (missing.length) {
      step();
      const out = await ports.textEmbedder.embedText(missing);
      if (out.length !== missing.length) {
        throw new StoryLoomError(
          'invalid-input',
          `The text encoder returned ${out.length} embeddings for ${missing.length} texts.`,
        );
      }
      missing.forEach((t, i) => {
        cache?.set(t, out[i]!);
        textEmbedding.set(t, out[i]!);
      });
    }
    for (const t of texts) {
      const hit = cache?.get(t);
      if (hit) textEmbedding.set(t, hit);
    }
  };
  const scene = scenePhrase(panel.scene);
  await needTexts([
    ...(panel.cast.length
      ? [...checkPhrases(POSES), ...checkPhrases(EXPRESSIONS), ...checkPhrases(FACINGS)]
      : []),
    ...checkPhrases(SHOT_SIZES),
    ...checkPhrases(CAMERA_ANGLES),
    scene,
  ]);
  const textsOf = (terms: readonly Term[]) => terms.map((t) => textEmbedding.get(t.check)!);

  const panelEmbedding = await embedImage(image);

  // 2. detect and match
  let detections: Detection[] | null = null;
  if (ports.detector) {
    step();
    const raw = await ports.detector.detect(image, detectionQueries(panel, characters));
    const minScore = T.params['detection.minScore'];
    const kept = raw.flatMap((d) => {
      const box = clampBox(d.box);
      return box && d.score >= minScore ? [{ ...d, box }] : [];
    });
    detections = nms(kept, T.params['detection.nms']);
  }

  const detectionEmbeddings = new Map<number, Float32Array | null>();
  const embedDetection = async (i: number) => {
    if (!detectionEmbeddings.has(i))
      detectionEmbeddings.set(i, await embedImage(crop(image, detections![i]!.box)));
    return detectionEmbeddings.get(i) ?? null;
  };

  // A panel without characters (an establishing shot) is judged on its scene and composition.
  const sceneOnly = panel.cast.length === 0;
  const countLabel = sceneOnly
    ? 'No characters in the picture (scene only)'
    : `${panel.cast.length} ${panel.cast.length === 1 ? 'character' : 'characters'} in the picture`;
  let matches: CastMatch[] | null = null;
  if (detections) {
    const appearanceWeight = T.params['cast.appearanceWeight'];
    const useAppearance =
      !!ports.imageEmbedder &&
      appearanceWeight > 0 &&
      panel.cast.length > 0 &&
      panel.cast.every((m) => refsOf(m.characterId).templateEmbeddings.length > 0);
    let appearance: number[][] | null = null;
    if (useAppearance) {
      const n = Math.min(detections.length, MAX_EMBEDDED_DETECTIONS);
      const embs: (Float32Array | null)[] = [];
      for (let i = 0; i < n; i++) embs.push(await embedDetection(i));
      appearance = panel.cast.map((m) =>
        detections!.map((_, i) => {
          const e = embs[i];
          return e ? (consistency(e, refsOf(m.characterId).templateEmbeddings, 'max')?.score ?? 0) : 0;
        }),
      );
    }
    const result = matchCast(panel.cast, detections, {
      minIoU: T.checks.cast.threshold,
      appearance,
      appearanceWeight,
      method: input.matchMethod ?? 'hungarian',
    });
    matches = result.matches;
    for (const m of result.matches) {
      const member = panel.cast[m.castIndex]!;
      const label = `${nameOf(m.characterId)} is in the picture`;
      checks.push(
        make('cast', `cast@${m.characterId}`, label, m.characterId, {
          score: m.iou,
          passed: m.detection !== null,
          box: m.detection?.box ?? member.region,
          detail: m.detection
            ? `Found in the planned region (IoU ${fmt(m.iou)}, detector ${fmt(m.detection.score)}${m.appearance === null ? '' : `, looks ${fmt(m.appearance)} like the template`}).`
            : `Not found in the planned region (no detection overlaps it by IoU ≥ ${fmt(T.checks.cast.threshold)}).`,
        }),
      );
    }
    result.extras.forEach((x, n) => {
      checks.push(
        make(
          'cast',
          `cast.extra#${n}`,
          sceneOnly ? 'Figure in the picture' : 'Extra character in the picture',
          null,
          {
            score: 0,
            passed: false,
            hard: false,
            box: x.detection.box,
            detail: sceneOnly
              ? `A figure (detector ${fmt(x.detection.score)}) in a panel without characters; reported, not failed.`
              : `A figure (detector ${fmt(x.detection.score)}) that no cast member accounts for; the count check decides the verdict.`,
          },
        ),
      );
    });

    // 3. count
    const count = countCheck(panel.cast.length, detections, T.params['detection.minScore']);
    const missingBoxes = result.matches
      .filter((m) => !m.detection)
      .map((m) => panel.cast[m.castIndex]!.region);
    const extraBoxes = result.extras.map((x) => x.detection.box);
    const countThreshold = T.checks.count.threshold;
    const detail = `Expected ${count.expected}, found ${count.detected}${count.extra ? ` (${count.extra} extra)` : ''}${count.missing ? ` (${count.missing} missing)` : ''}.`;
    checks.push(
      make('count', 'count', countLabel, null, {
        score: count.score,
        passed: count.score >= countThreshold,
        // A scene-only panel expects no cast, yet an establishing shot may hold passers-by, and the
        // detector's "a person" fires on statues, posts and shadows too. occm(0, n) is ~0 for any
        // figure, so a hard count would fail nearly every street or harbour scene, and the gate
        // could only reseed it. So figures are reported (the count and one soft check per figure,
        // with boxes for the artist) but only lower the score: the verdict rests on what such a
        // panel asks for, and the negative prompt already steers away from figures. This holds
        // whatever `count.hard` says, which is about panels with a cast.
        ...(sceneOnly ? { hard: false } : {}),
        box: count.extra > 0 ? unionBox(extraBoxes) : count.missing > 0 ? unionBox(missingBoxes) : null,
        detail:
          sceneOnly && count.extra
            ? `${detail} A scene-only panel expects no one; figures are soft.`
            : detail,
      }),
    );
  } else {
    for (const m of panel.cast) {
      skip(
        'cast',
        `cast@${m.characterId}`,
        `${nameOf(m.characterId)} is in the picture`,
        m.characterId,
        m.region,
        'no detector in this pack',
      );
    }
    skip('count', 'count', countLabel, null, null, 'no detector in this pack');
  }

  // 4–5. per character
  const found = new Map<string, FoundCharacter>();
  const zeroShotSpecs: Array<{
    key: ZeroShotKey;
    terms: readonly Term[];
    noun: string;
    pick: (m: Panel['cast'][number]) => string;
  }> = [
    { key: 'pose', terms: POSES, noun: 'pose', pick: (m) => m.pose },
    { key: 'expression', terms: EXPRESSIONS, noun: 'expression', pick: (m) => m.expression },
    { key: 'facing', terms: FACINGS, noun: 'facing', pick: (m) => m.facing },
  ];
  for (const [c, member] of panel.cast.entries()) {
    const id = member.characterId;
    const name = nameOf(id);
    const refs = refsOf(id);
    const match = matches?.[c] ?? null;
    const box = detections ? (match?.detection?.box ?? null) : member.region;
    const labels = {
      identity: `${name} matches the verified template`,
      self: `${name} matches earlier panels`,
      wardrobe: `${name}'s clothes keep their colours`,
      copy: `${name} is drawn, not pasted from a template`,
    };
    const zsLabel = (s: (typeof zeroShotSpecs)[number]) => {
      const term = s.terms.find((t) => t.id === s.pick(member));
      return `${name}'s ${s.noun}: ${term?.label ?? s.pick(member)}`;
    };
    if (!box) {
      const reason = `${name} was not found in the picture`;
      skip('identity', `identity@${id}`, labels.identity, id, member.region, reason);
      skip('identity.self', `identity.self@${id}`, labels.self, id, member.region, reason);
      skip('wardrobe', `wardrobe@${id}`, labels.wardrobe, id, member.region, reason);
      skip('copy-paste', `copy-paste@${id}`, labels.copy, id, member.region, reason);
      for (const s of zeroShotSpecs) skip(s.key, `${s.key}@${id}`, zsLabel(s), id, member.region, reason);
      continue;
    }
    const cropImage = crop(image, box);
    const embedding =
      match?.detectionIndex != null && match.detectionIndex < MAX_EMBEDDED_DETECTIONS
        ? await embedDetection(match.detectionIndex)
        : await embedImage(cropImage);
    const where = detections ? '' : ' (cropped at the planned region: no detector in this pack)';
    found.set(id, { box, detected: !!detections, embedding });

    // identity: cross consistency with the verified templates
    const noEncoder = 'no image encoder in this pack';
    if (!embedding) skip('identity', `identity@${id}`, labels.identity, id, box, noEncoder);
    else {
      const cross = consistency(
        embedding,
        refs.templateEmbeddings,
        T.params['identity.aggregate'] === 1 ? 'mean' : 'max',
      );
      if (!cross)
        skip('identity', `identity@${id}`, labels.identity, id, box, `${name} has no template embeddings`);
      else {
        const t = T.checks.identity.threshold;
        checks.push(
          make('identity', `identity@${id}`, labels.identity, id, {
            score: cross.score,
            passed: cross.score >= t,
            box,
            detail: `Similarity ${fmt(cross.score)} to ${refs.templateEmbeddings.length} template(s), needs ${fmt(t)}${where}.`,
          }),
        );
      }
    }

    // identity: self consistency with earlier accepted panels
    if (!embedding) skip('identity.self', `identity.self@${id}`, labels.self, id, box, noEncoder);
    else {
      const earlier = refs.earlierEmbeddings ?? [];
      const self = consistency(
        embedding,
        earlier,
        T.params['identity.self.aggregate'] === 1 ? 'mean' : 'max',
      );
      if (!self)
        skip(
          'identity.self',
          `identity.self@${id}`,
          labels.self,
          id,
          box,
          `no earlier accepted panel with ${name}`,
        );
      else {
        const t = T.checks['identity.self'].threshold;
        checks.push(
          make('identity.self', `identity.self@${id}`, labels.self, id, {
            score: self.score,
            passed: self.score >= t,
            box,
            detail: `Similarity ${fmt(self.score)} to ${earlier.length} earlier panel(s), needs ${fmt(t)}.`,
          }),
        );
      }
    }

    // wardrobe colours: histogram of the clothing band against the templates'
    const templateHists = refs.wardrobeHistograms ?? [];
    const clothes = clothingBox(box);
    if (templateHists.length === 0)
      skip(
        'wardrobe',
        `wardrobe@${id}`,
        labels.wardrobe,
        id,
        clothes,
        `${name} has no template colour histograms`,
      );
    else {
      const hist = colorHistogram(image, clothes, T.params['wardrobe.bins']);
      const w = wardrobeSimilarity(hist, templateHists)!;
      const t = T.checks.wardrobe.threshold;
      checks.push(
        make('wardrobe', `wardrobe@${id}`, labels.wardrobe, id, {
          score: w.score,
          passed: w.score >= t,
          box: clothes,
          detail: `Colour overlap ${fmt(w.score)} with the template's clothing, needs ${fmt(t)}.`,
        }),
      );
    }

    // copy-paste: the crop, or the whole panel, near-identical to a template
    if (!embedding) skip('copy-paste', `copy-paste@${id}`, labels.copy, id, box, noEncoder);
    else if (refs.templateEmbeddings.length === 0)
      skip('copy-paste', `copy-paste@${id}`, labels.copy, id, box, `${name} has no template embeddings`);
    else {
      const templates = refs.templateEmbeddings.map((e, i) => ({
        embedding: e,
        image: refs.templateImages?.[i] ?? null,
      }));
      const cosT = T.checks['copy-paste'].threshold;
      const pixT = T.params['copy-paste.pixel'];
      const candidates = [
        { embedding, image: cropImage, box, what: 'crop' },
        ...(panelEmbedding
          ? [{ embedding: panelEmbedding, image, box: { x: 0, y: 0, w: 1, h: 1 }, what: 'whole panel' }]
          : []),
      ];
      const results = candidates.map((cand) => ({ cand, r: copyPaste(cand, templates, cosT, pixT)! }));
      const worst = results.reduce((a, b) =>
        (Number(b.r.isCopy) - Number(a.r.isCopy) || b.r.cosine - a.r.cosine) > 0 ? b : a,
      );
      const pixel = worst.r.pixel === null ? 'pixels not compared' : `pixel similarity ${fmt(worst.r.pixel)}`;
      checks.push(
        make('copy-paste', `copy-paste@${id}`, labels.copy, id, {
          score: worst.r.cosine,
          passed: !worst.r.isCopy,
          box: worst.cand.box,
          detail: `${worst.r.isCopy ? 'Near-identical to' : 'Distinct from'} template ${worst.r.referenceIndex + 1}: ${worst.cand.what} cosine ${fmt(worst.r.cosine)} (paste at ≥ ${fmt(cosT)}), ${pixel}.`,
        }),
      );
    }

    // pose, expression, facing: zero-shot against the closed vocabularies
    for (const s of zeroShotSpecs) {
      const checkId = `${s.key}@${id}`;
      if (!embedding) {
        skip(s.key, checkId, zsLabel(s), id, box, noEncoder);
        continue;
      }
      if (!ports.textEmbedder) {
        skip(s.key, checkId, zsLabel(s), id, box, 'no text encoder in this pack');
        continue;
      }
      checks.push(zeroShotCheck(s.key, checkId, zsLabel(s), id, box, embedding, s.terms, s.pick(member)));
    }
  }

  function zeroShotCheck(
    key: ZeroShotKey,
    checkId: string,
    label: string,
    characterId: string | null,
    box: RegionBox | null,
    embedding: Float32Array,
    terms: readonly Term[],
    requestedId: string,
  ): JudgeCheck {
    const index = terms.findIndex((t) => t.id === requestedId);
    if (index < 0) {
      return make(key, checkId, label, characterId, {
        score: 0,
        passed: true,
        hard: false,
        box,
        detail: `${NOT_RUN}"${requestedId}" is not in the vocabulary`,
      });
    }
    const z = zeroShot(embedding, textsOf(terms), index, {
      logitScale: T.params['zeroShot.logitScale'],
      topK: T.topK[key],
      minProbability: T.checks[key].threshold,
    });
    return make(key, checkId, label, characterId, {
      score: z.probability,
      threshold: z.threshold,
      passed: z.passed,
      box,
      detail: `"${terms[index]!.label}" ranked ${z.rank} of ${terms.length} (p ${fmt(z.probability)}, needs top ${T.topK[key]}); most likely "${terms[z.topIndex]!.label}".`,
    });
  }

  // 6. scene
  const sceneLabel = `Scene: ${scene.replace(/^a picture of /, '')}`;
  if (!panelEmbedding) skip('scene', 'scene', sceneLabel, null, null, 'no image encoder in this pack');
  else if (!ports.textEmbedder)
    skip('scene', 'scene', sceneLabel, null, null, 'no text encoder in this pack');
  else {
    const s = cosine(panelEmbedding, textEmbedding.get(scene)!);
    const t = T.checks.scene.threshold;
    checks.push(
      make('scene', 'scene', sceneLabel, null, {
        score: s,
        passed: s >= t,
        box: null,
        detail: `Image–text similarity ${fmt(s)} with "${scene}", needs ${fmt(t)}.`,
      }),
    );
  }

  // 7. composition
  const compositionSpecs = [
    {
      id: 'composition#shotSize',
      terms: SHOT_SIZES,
      requested: panel.composition.shotSize,
      noun: 'Shot size',
    },
    {
      id: 'composition#cameraAngle',
      terms: CAMERA_ANGLES,
      requested: panel.composition.cameraAngle,
      noun: 'Camera angle',
    },
  ];
  for (const s of compositionSpecs) {
    const label = `${s.noun}: ${s.terms.find((t) => t.id === s.requested)?.label ?? s.requested}`;
    if (!panelEmbedding) skip('composition', s.id, label, null, null, 'no image encoder in this pack');
    else if (!ports.textEmbedder)
      skip('composition', s.id, label, null, null, 'no text encoder in this pack');
    else
      checks.push(
        zeroShotCheck('composition', s.id, label, null, null, panelEmbedding, s.terms, s.requested),
      );
  }

  // 8. VLM: one caption of the panel, then each character's descriptor grounded
  const noVlm = 'no VLM in this pack';
  let caption: AnalysedCaption | null = null;
  if (ports.vlm) {
    step();
    caption = analyseCaption(await ports.vlm.describe(image));
  }
  for (const item of captionItems(panel, characters)) {
    if (!caption) {
      skip('caption', item.id, item.label, item.characterId, item.box, noVlm);
      continue;
    }
    const r = scoreCaptionItem(item, caption);
    checks.push(
      make('caption', item.id, item.label, item.characterId, {
        score: r.score,
        passed: r.score >= T.checks.caption.threshold,
        box: item.box,
        detail: r.detail,
      }),
    );
  }
  const phrases = groundingPhrases(panel.cast, characters);
  for (const [c, member] of panel.cast.entries()) {
    const id = member.characterId;
    const checkId = `placement@${id}`;
    const label = `${nameOf(id)} is located where planned`;
    const phrase = phrases[c]!;
    if (!ports.vlm) {
      skip('placement', checkId, label, id, member.region, noVlm);
      continue;
    }
    step();
    const found = (await ports.vlm.ground(image, phrase)).flatMap((g) => {
      const box = clampBox(g.box);
      return box ? [box] : [];
    });
    const best = bestPlacement(member.region, found);
    const t = T.checks.placement.threshold;
    checks.push(
      make('placement', checkId, label, id, {
        score: best?.score ?? 0,
        passed: (best?.score ?? 0) >= t,
        box: best ? found[best.index]! : member.region,
        detail: best
          ? `The VLM located "${phrase}"${found.length > 1 ? ` (best of ${found.length} boxes)` : ''}: IoU ${fmt(best.iou)} with the planned region, centres ${fmt(best.distance)} apart; score ${fmt(best.score)}, needs ${fmt(t)}.`
          : `The VLM did not locate "${phrase}" in the picture.`,
      }),
    );
  }

  // 9. assemble
  step();
  const report = assembleReport(checks, { judgedAt: input.judgedAt ?? Date.now(), thresholds: T });
  return { report, found, panelEmbedding };
}
