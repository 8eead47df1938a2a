/**
 * The judge's façade: what the engine worker needs to judge a panel (its spec, the cast's verified
 * templates, crops of earlier accepted panels, the thresholds from settings), the artist's
 * accept / reject / override decisions, and calibration from those decisions.
 */
import type { Attempt, Character, Panel, Settings, Story } from '../domain';
import {
  CHECK_KEYS,
  DEFAULT_POLICIES,
  applyProposals,
  calibrate,
  decidedReports,
  earlierCrops,
  resolveThresholds,
  samplesFromReports,
  validateThresholdOverrides,
  withDecision,
  type CalibrationOptions,
  type CheckKey,
  type ThresholdProposal,
} from '../judge';
import type { Pack } from '../models/manifest';
import * as store from '../store';
import { StoryLoomError } from '../domain';
import type { JudgeSpec } from '../../../workers/api';
import { libraryService } from './library.service';

/** At most this many verified templates per character are embedded. */
const MAX_TEMPLATES = 4;

export type Decision = 'accept' | 'reject' | 'override';

export interface CalibrationResult {
  decided: number;
  proposals: ThresholdProposal[];
}

/** What the worker needs to judge `panel` of `story`; read before the generation starts. */
export async function judgeSpecFor(
  db: store.StoryLoomDB,
  input: { story: Story; panel: Panel; characters: ReadonlyMap<string, Character>; pack: Pack },
): Promise<JudgeSpec> {
  const { story, panel, characters, pack } = input;
  const settings = await store.getSettings(db);
  const templates: JudgeSpec['templates'] = [];
  for (const c of characters.values()) {
    if (!c.verified) continue;
    const images: Blob[] = [];
    for (const t of c.templates.slice(0, MAX_TEMPLATES)) {
      const image = await store.getImage(db, t.imageId);
      if (image) images.push(image.blob);
    }
    templates.push({ characterId: c.id, templateVersion: c.templateVersion, images });
  }
  // The stored panels say which attempts were accepted (the editor's copy may be older).
  const saved = await store.getStoryWithPanels(db, story.id);
  const panels = saved?.panels ?? [];
  const accepted = new Map<string, Attempt>();
  for (const p of panels) {
    if (!p.acceptedAttemptId || p.id === panel.id) continue;
    const a = await store.getAttempt(db, p.acceptedAttemptId);
    if (a) accepted.set(a.id, a);
  }
  const earlier: JudgeSpec['earlier'] = [];
  for (const c of earlierCrops(panels, panel.id, accepted)) {
    const image = await store.getImage(db, c.imageId);
    if (image)
      earlier.push({ attemptId: c.attemptId, characterId: c.characterId, box: c.box, image: image.blob });
  }
  return {
    pack,
    panel: { cast: panel.cast, scene: panel.scene, composition: panel.composition },
    characters: [...characters.values()],
    templates,
    earlier,
    thresholds: { ...settings.thresholds },
  };
}

export interface ThresholdRow {
  key: CheckKey;
  /** The default threshold. */
  fallback: number;
  /** The override in settings, or null for the default. */
  value: number | null;
  meaning: string;
  hard: boolean;
  higherIsBetter: boolean;
}

/** One row per check key: default, override, meaning (for the settings screen). */
export function thresholdRows(overrides: Readonly<Record<string, number>>): ThresholdRow[] {
  const resolved = resolveThresholds(overrides);
  return CHECK_KEYS.map((key) => ({
    key,
    fallback: DEFAULT_POLICIES[key].threshold,
    value: typeof overrides[key] === 'number' ? overrides[key] : null,
    meaning: DEFAULT_POLICIES[key].meaning,
    hard: resolved.checks[key].hard,
    higherIsBetter: DEFAULT_POLICIES[key].higherIsBetter,
  }));
}

export const thresholdProblems = (overrides: Readonly<Record<string, number>>): string[] =>
  validateThresholdOverrides(overrides);

/** settings.thresholds with the 'propose' proposals applied. */
export const withProposals = (
  overrides: Readonly<Record<string, number>>,
  proposals: readonly ThresholdProposal[],
): Record<string, number> => applyProposals(overrides, proposals);

class JudgeService {
  /** The page's one database connection (the library service owns it). */
  #connection(): Promise<store.StoryLoomDB> {
    return libraryService.db();
  }

  /** A panel's attempts in the order they were made, with their reports. */
  async attempts(panelId: string): Promise<Attempt[]> {
    return store.listAttemptsForPanel(await this.#connection(), panelId);
  }

  async image(imageId: string): Promise<Blob | null> {
    return (await store.getImage(await this.#connection(), imageId))?.blob ?? null;
  }

  /**
   * Record the artist's decision on an attempt's report. accept / override make it the panel's
   * accepted attempt (status 'accepted'); rejecting the accepted attempt clears that.
   */
  async decide(attemptId: string, decision: Decision): Promise<{ attempt: Attempt; panel: Panel | null }> {
    const db = await this.#connection();
    const attempt = await store.getAttempt(db, attemptId);
    if (!attempt)
      throw new StoryLoomError('not-found', `There is no attempt ${attemptId}; it may have been deleted.`);
    if (!attempt.report)
      throw new StoryLoomError(
        'invalid-input',
        'This attempt has no judge report to decide on; judge it first.',
      );
    const result = await store.recordDecision(
      db,
      attemptId,
      withDecision(attempt.report, decision, Date.now()),
    );
    libraryService.changed('panel', attempt.panelId);
    return result;
  }

  /** Propose thresholds from every decided report in the library. */
  async calibrate(options?: CalibrationOptions): Promise<CalibrationResult> {
    const db = await this.#connection();
    const reports = decidedReports(await store.listDecidedAttempts(db));
    const settings = await store.getSettings(db);
    const proposals = calibrate(samplesFromReports(reports), resolveThresholds(settings.thresholds), options);
    return { decided: reports.length, proposals };
  }

  /** Write the chosen proposals into settings.thresholds. */
  async applyProposals(proposals: readonly ThresholdProposal[]): Promise<Settings> {
    const settings = await libraryService.getSettings();
    return this.saveThresholds(applyProposals(settings.thresholds, proposals));
  }

  /** Replace settings.thresholds after checking every value; a bad one saves nothing. */
  async saveThresholds(thresholds: Record<string, number>): Promise<Settings> {
    const problems = validateThresholdOverrides(thresholds);
    if (problems.length) throw new StoryLoomError('invalid-input', problems[0]!);
    const settings = await libraryService.getSettings();
    return libraryService.saveSettings({ ...settings, thresholds });
  }
}

export const judgeService = new JudgeService();
