/**
 * layoutStory: the whole reader geometry of a story, pure and deterministic. Pages come from
 * pagination and templates (or one webtoon strip); each cell gets its crop, its cast on the page
 * and its lettering.
 */
import { castFocus, coverCrop, mapCast } from './crop';
import { letterCell } from './lettering';
import { chooseTemplate, paginate } from './paginate';
import { cellRects, webtoonRects } from './templates';
import type { CellLayout, LayoutInput, LayoutPanel, PageLayout, Rect, StoryLayout } from './types';

export const WEBTOON_TEMPLATE_ID = 'webtoon';

export function layoutStory(input: LayoutInput): StoryLayout {
  const pages = input.direction === 'webtoon' ? [webtoonPage(input)] : pagedPages(input);
  return { direction: input.direction, pages };
}

function webtoonPage(input: LayoutInput): PageLayout {
  const { frames, height } = webtoonRects(
    input.panels.map((p) => p.imageAspect),
    input.page,
  );
  return {
    index: 0,
    templateId: WEBTOON_TEMPLATE_ID,
    width: input.page.width,
    height,
    cells: input.panels.map((p, i) => layoutCell(p, frames[i]!, i, input)),
  };
}

function pagedPages(input: LayoutInput): PageLayout[] {
  return paginate(input.panels, input.pageTemplates).map((plan, index) => {
    const panels = input.panels.slice(plan.start, plan.start + plan.count);
    const template = plan.forced ?? chooseTemplate(panels, input.page);
    const frames = cellRects(template, input.page, input.direction);
    return {
      index,
      templateId: template.id,
      width: input.page.width,
      height: input.page.height,
      cells: panels.map((p, i) => layoutCell(p, frames[i]!, i, input)),
    };
  });
}

function layoutCell(panel: LayoutPanel, frame: Rect, order: number, input: LayoutInput): CellLayout {
  const crop = coverCrop(panel.imageAspect, frame.w / frame.h, castFocus(panel.cast));
  const cast = mapCast(panel.cast, crop, frame);
  return {
    panelId: panel.id,
    order,
    frame,
    crop,
    cast,
    balloons: letterCell(panel.texts, frame, cast, input.direction, input.measure),
  };
}
