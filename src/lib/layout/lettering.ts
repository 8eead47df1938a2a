/**
 * The lettering of one cell: body sizes, placement, text fitting, outlines and tails, in that
 * order, because placement needs the sizes and the tails need the final boxes.
 */
import type { MappedCast } from './crop';
import { fromCell, intersect, pointFromCell } from './geometry';
import { placeBalloons, type PlacementItem } from './placement';
import { bodyPath } from './shapes';
import { aimAtEdge, aimAtZone, hasTail, nearestZone, NO_TAIL, tailTo, type Tail } from './tails';
import { fitText, sizeBody } from './text-fit';
import type { BalloonLayout, LayoutText, ReadingDirection, Rect, TextMeasurer } from './types';

export function letterCell(
  texts: LayoutText[],
  frame: Rect,
  cast: MappedCast[],
  direction: ReadingDirection,
  measure: TextMeasurer,
): BalloonLayout[] {
  const items: PlacementItem[] = texts.map((t) => ({
    kind: t.kind,
    speakerId: t.speakerId,
    size: t.box ? { w: 0, h: 0 } : sizeBody(t.text, t.kind, t.font, measure, frame),
    // An artist's box stays where it was drawn (clipped to the frame so a stale box cannot escape).
    fixed: t.box ? intersect(fromCell(frame, t.box), frame) : null,
  }));
  const boxes = placeBalloons(frame, cast, items, direction);
  return texts.map((t, i) => balloon(t, boxes[i]!, frame, cast, measure));
}

function balloon(
  t: LayoutText,
  box: Rect,
  frame: Rect,
  cast: MappedCast[],
  measure: TextMeasurer,
): BalloonLayout {
  const fitted = fitText(t.text, t.kind, box, t.font, measure, { fixedSize: t.fontSize });
  const tail = tailFor(t, box, frame, cast);
  return {
    balloonId: t.balloonId,
    kind: t.kind,
    speakerId: t.speakerId,
    pinned: t.pinned,
    box,
    bodyPath: bodyPath(t.kind, box),
    tailPath: tail.tailPath,
    tailTip: tail.tailTip,
    font: t.font,
    fontSize: fitted.fontSize,
    lineHeight: fitted.lineHeight,
    lines: fitted.lines,
    overflow: fitted.overflow,
  };
}

/** The artist's tip wins; else the speaker's nearest head zone; else out through the nearest edge. */
function tailFor(t: LayoutText, box: Rect, frame: Rect, cast: MappedCast[]): Tail {
  if (!hasTail(t.kind)) return NO_TAIL;
  if (t.tail) return tailTo(t.kind, box, pointFromCell(frame, t.tail));
  const speaker = t.speakerId ? cast.find((c) => c.characterId === t.speakerId) : undefined;
  const zone = speaker ? nearestZone(box, speaker.headZones) : null;
  if (zone) return tailTo(t.kind, box, aimAtZone(box, zone));
  return tailTo(t.kind, box, aimAtEdge(box, frame));
}
