/**
 * From the stored story to the layout core's input: page settings in millimetres to page units, each
 * panel's caption and dialogue lines with the artist's lettering choices, and the characters' head
 * zones from their region boxes and, when the judge found them, its detections.
 */
import { CAPTION_BALLOON_ID, PAGE_SIZES } from '../domain/schema';
import type {
  Balloon,
  BalloonKind,
  JudgeReport,
  Panel,
  PageSettings,
  RegionBox,
  Story,
} from '../domain/schema';
import type {
  LayoutCastMember,
  LayoutInput,
  LayoutPanel,
  LayoutText,
  LetteringFont,
  PageSpec,
  Rect01,
  TextMeasurer,
} from './types';

/** Page units per millimetre (1 unit = 1/96 inch). */
export const UNITS_PER_MM = 96 / 25.4;
/** A webtoon strip's width in page units: the width the platforms publish at. */
export const WEBTOON_WIDTH = 800;
const WEBTOON_GUTTER = 48;

/** The picture a panel shows in the reader, with what the judge saw in it. */
export interface PanelPicture {
  width: number;
  height: number;
  report: JudgeReport | null;
}

export function pageSpecFor(settings: PageSettings): PageSpec {
  const size = PAGE_SIZES[settings.pageSize];
  if (settings.direction === 'webtoon') {
    return { width: WEBTOON_WIDTH, height: 0, margin: 0, gutter: WEBTOON_GUTTER };
  }
  return {
    width: size.widthMm * UNITS_PER_MM,
    height: size.heightMm * UNITS_PER_MM,
    margin: settings.marginMm * UNITS_PER_MM,
    gutter: settings.gutterMm * UNITS_PER_MM,
  };
}

/** Shouts and sound effects take the display face; everything else the hand-lettered one. */
export const defaultFont = (kind: BalloonKind): LetteringFont =>
  kind === 'shout' || kind === 'sfx' ? 'display' : 'dialogue';

/**
 * A head zone from a figure's box: the top of the box (a standing figure's head is about its top
 * quarter), narrowed to the middle, where the head is; clamped to the picture.
 */
export function headZoneOf(box: RegionBox): Rect01 {
  const w = box.w * 0.7;
  const h = Math.min(box.h * 0.28, 1 - box.y);
  return { x: box.x + (box.w - w) / 2, y: box.y, w, h };
}

function castOf(panel: Panel, report: JudgeReport | null): LayoutCastMember[] {
  return panel.cast.map((m) => {
    const found = (report?.checks ?? []).filter(
      (c) => c.kind === 'cast' && c.passed && c.characterId === m.characterId && c.box,
    );
    const zones = [headZoneOf(m.region), ...found.map((c) => headZoneOf(c.box as RegionBox))];
    return { characterId: m.characterId, region: { ...m.region }, headZones: zones };
  });
}

function textOf(
  balloonId: string,
  kind: BalloonKind,
  text: string,
  speakerId: string | null,
  choice: Balloon | undefined,
): LayoutText {
  const shown = choice?.kind ?? kind;
  return {
    balloonId,
    kind: shown,
    text,
    speakerId,
    font: choice?.font ?? defaultFont(shown),
    pinned: choice?.pinned ?? false,
    box: choice?.pinned ? (choice.box ?? null) : null,
    tail: choice?.pinned ? (choice.tail ?? null) : null,
    fontSize: choice?.fontSize ?? null,
  };
}

/** The caption first (it sets the scene), then the dialogue in order; empty texts are not lettered. */
export function textsOf(panel: Panel): LayoutText[] {
  const choices = new Map(panel.lettering.map((b) => [b.id, b]));
  const texts: LayoutText[] = [];
  const caption = panel.caption.trim();
  if (caption)
    texts.push(textOf(CAPTION_BALLOON_ID, 'caption', caption, null, choices.get(CAPTION_BALLOON_ID)));
  const inPanel = new Set(panel.cast.map((m) => m.characterId));
  for (const line of panel.dialogue) {
    const text = line.text.trim();
    if (!text) continue;
    // A speaker who is not drawn in this panel speaks from off panel: the tail points out of the frame.
    const speaker = line.speakerId && inPanel.has(line.speakerId) ? line.speakerId : null;
    texts.push(textOf(line.id, line.kind, text, line.kind === 'sfx' ? null : speaker, choices.get(line.id)));
  }
  return texts;
}

export function layoutPanelOf(panel: Panel, picture: PanelPicture | null): LayoutPanel {
  return {
    id: panel.id,
    imageAspect: picture && picture.height > 0 ? picture.width / picture.height : 1,
    importance: panel.importance,
    cast: castOf(panel, picture?.report ?? null),
    texts: textsOf(panel),
  };
}

export function layoutInputFor(
  story: Story,
  panels: Panel[],
  pictures: Readonly<Record<string, PanelPicture | null>>,
  measure: TextMeasurer,
): LayoutInput {
  return {
    direction: story.layout.direction,
    page: pageSpecFor(story.layout),
    pageTemplates: story.layout.pageTemplates,
    panels: panels.map((p) => layoutPanelOf(p, pictures[p.id] ?? null)),
    measure,
  };
}
