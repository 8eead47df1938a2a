/**
 * The template fallback: a plan with no model. Deterministic for a request (its seed included): beats
 * from the premise's sentences spread over the panels, a rhythm of shot sizes, poses and expressions
 * from keywords, the cast from names mentioned (else rotating), and no invented dialogue.
 */
import type { Outline, OutlineBeat, PanelPlan, PlannedPanel, PlanRequest, StoryPlan } from './schema';

/** Stage 1 without a model: `panelCount` beats from the premise. */
export function templateOutline(_request: PlanRequest): Outline {
  throw new Error('not yet');
}

/** Stage 2 without a model: the panel of `beat` at `index` (also the stand-in for a panel the model failed twice). */
export function templatePanel(_request: PlanRequest, _beat: OutlineBeat, _index: number): PanelPlan {
  throw new Error('not yet');
}

/** The panel at `index` of `outline`, planned by the template and flagged so. */
export function templatePlannedPanel(request: PlanRequest, outline: Outline, index: number): PlannedPanel {
  const beat = outline.beats[index];
  if (!beat)
    throw new RangeError(`Panel ${index + 1} is not in an outline of ${outline.beats.length} panels.`);
  return { index, beat, plan: templatePanel(request, beat, index), source: 'template' };
}

/** A whole plan without a model. */
export function templatePlan(request: PlanRequest): StoryPlan {
  const outline = templateOutline(request);
  return {
    request,
    outline,
    panels: outline.beats.map((_, i) => templatePlannedPanel(request, outline, i)),
    direction: request.direction,
  };
}
