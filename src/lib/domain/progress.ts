/**
 * The studio's one progress union: a model download, loading a model, a denoising step, the
 * judge's stages, a gate attempt and a whole run are all members, and one bar (ProgressBar.svelte)
 * draws any of them. Workers send these members; the UI never invents its own shapes.
 */
export type JudgeStage = 'load' | 'references' | 'checks' | 'done';

export type Progress =
  | { status: 'download'; label: string; loaded: number; total: number; rate: number; eta: number | null }
  | { status: 'load'; component: string; index: number; total: number }
  | { status: 'step'; step: number; total: number }
  | { status: 'judge'; stage: JudgeStage }
  | { status: 'attempt'; attempt: number; max: number }
  | { status: 'run'; done: number; total: number };

const JUDGE_STAGES: readonly JudgeStage[] = ['load', 'references', 'checks', 'done'];

/** Where a bar stands, and what it says, for any member of the union. */
export function progressBar(p: Progress): { value: number; max: number; label: string } {
  switch (p.status) {
    case 'download':
      return { value: p.loaded, max: Math.max(1, p.total), label: p.label };
    case 'load':
      return { value: p.index, max: Math.max(1, p.total), label: `Loading ${p.component}…` };
    case 'step':
      return { value: p.step, max: Math.max(1, p.total), label: `Step ${p.step} of ${p.total}` };
    case 'judge':
      return {
        value: JUDGE_STAGES.indexOf(p.stage) + 1,
        max: JUDGE_STAGES.length,
        label: p.stage === 'done' ? 'Judged' : 'Judging the panel…',
      };
    case 'attempt':
      return {
        value: p.attempt + 1,
        max: Math.max(1, p.max),
        label: `Attempt ${p.attempt + 1} of at most ${p.max}`,
      };
    case 'run':
      return { value: p.done, max: Math.max(1, p.total), label: `Panels ${p.done} of ${p.total}` };
  }
}
