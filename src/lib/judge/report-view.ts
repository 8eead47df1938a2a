/**
 * A judge report in plain words, for the artist: one verdict line, the findings grouped by
 * character and folded where the judge repeats itself (a twin's detector can report a hundred
 * extra figures), and where on the picture a finding is. Pure: the view draws what this returns.
 */
import type { CheckKind, JudgeCheck, JudgeReport, RegionBox } from '../domain';
import { unionBox } from './matching';
import { isSkipped, NOT_RUN } from './verdict';

/** The view shows at most this many rows until the artist asks for all of them. */
export const ROW_LIMIT = 12;

/** One row of the report: one finding, or several identical ones folded together. */
export interface ReportRow {
  /** The first folded check's id: stable, and the id the row highlights. */
  key: string;
  kind: CheckKind;
  characterId: string | null;
  /** Plain words, without the count. */
  label: string;
  passed: boolean;
  hard: boolean;
  /** The check could not run (no model for it, nothing to compare with). */
  skipped: boolean;
  /** How many checks this row folds (1 for most rows). */
  count: number;
  /** The union of the folded checks' boxes, or null when none has a box. */
  box: RegionBox | null;
  /** Where the box is, in words ("top left"), or null without a box. */
  where: string | null;
  checkIds: string[];
  /** The raw checks behind the row, for the disclosure of numbers and thresholds. */
  checks: JudgeCheck[];
}

export interface ReportGroup {
  /** null for the findings about the whole picture. */
  characterId: string | null;
  title: string;
  rows: ReportRow[];
}

export interface ReportView {
  verdict: 'pass' | 'fail';
  /** The verdict in plain words, the most important failure first. */
  line: string;
  groups: ReportGroup[];
  /** Every row, in the order the groups show them. */
  rows: ReportRow[];
  /** Failing rows, most important first (hard before soft, identity before pose). */
  failures: ReportRow[];
  /** The most important failing row, or null when nothing failed. */
  top: ReportRow | null;
}

export interface ReportViewOptions {
  /** A character's name by id (the id itself is a poor but honest fallback). */
  nameOf: (characterId: string) => string;
  /** Character ids in the panel's cast order; characters not listed follow in report order. */
  castOrder?: readonly string[];
}

/** Importance of a kind for the verdict line and the order within a group. */
const KIND_RANK: Record<CheckKind, number> = {
  identity: 0,
  cast: 1,
  count: 2,
  'copy-paste': 3,
  wardrobe: 4,
  placement: 5,
  pose: 6,
  expression: 7,
  facing: 8,
  composition: 9,
  scene: 10,
  caption: 11,
  checklist: 12,
};

/** "cast.extra#17" → "cast.extra": numbered checks of one family fold together. */
const family = (id: string) => id.replace(/#\d+$/, '');
/** "identity.self@c1" → "identity.self". */
const base = (id: string) => family(id).split('@')[0]!;

/** Where a box is, from its centre in thirds of the panel: "top left" … "centre" … "bottom right". */
export function positionWords(box: RegionBox): string {
  const third = (v: number) => (v < 1 / 3 ? 0 : v < 2 / 3 ? 1 : 2);
  const col = third(box.x + box.w / 2);
  const row = third(box.y + box.h / 2);
  if (row === 1 && col === 1) return 'centre';
  const v = ['top', 'middle', 'bottom'][row]!;
  const h = ['left', 'centre', 'right'][col]!;
  if (row === 1) return `middle ${h}`;
  if (col === 1) return `${v} centre`;
  return `${v} ${h}`;
}

/** What a term check asked for: "Mira's pose: standing" → "standing". */
const asked = (label: string) => label.slice(label.indexOf(': ') + 2) || label;

function rowLabel(check: JudgeCheck, name: string | null, count: number): string {
  const { label, passed } = check;
  const who = name ?? 'Someone';
  if (isSkipped(check)) {
    const what = rowLabel({ ...check, passed: true, detail: '' }, name, count);
    return `${what} — not checked: ${check.detail.slice(NOT_RUN.length)}`;
  }
  switch (base(check.id)) {
    case 'cast.extra':
      return count > 1 ? 'Extra figures in the picture' : 'Extra figure in the picture';
    case 'cast':
      return passed ? `${who} is in the picture` : `${who} is missing from the picture`;
    case 'count': {
      const m = /Expected (\d+), found (\d+)/.exec(check.detail);
      if (passed) return m ? `The right number of characters (${m[1]})` : 'The right number of characters';
      return m ? `${m[2]} figures instead of ${m[1]}` : 'The wrong number of characters';
    }
    case 'identity':
      return passed ? `${who} looks like the template` : `${who} looks different from the template`;
    case 'identity.self':
      return passed ? `${who} looks as in earlier panels` : `${who} looks different from earlier panels`;
    case 'wardrobe':
      return passed ? `${who}'s clothes keep their colours` : `${who}'s clothes have the wrong colours`;
    case 'copy-paste':
      return passed ? `${who} is drawn, not pasted` : `${who} looks pasted from a template`;
    case 'placement':
      return passed ? `${who} is where planned` : `${who} is not where planned`;
    case 'pose':
    case 'expression':
    case 'facing':
      return passed ? label : `${who} does not look ${asked(label)} (${base(check.id)})`;
    case 'scene':
      return passed ? 'The scene looks as planned' : `The scene does not look like ${asked(label)}`;
    case 'composition':
      return passed ? label : `${label.split(':')[0]} is not ${asked(label)}`;
    default:
      if (check.kind === 'caption') {
        const what = label.replace(/^Caption mentions /, '');
        return passed
          ? `The picture's description mentions ${what}`
          : `The picture's description does not mention ${what}`;
      }
      return label;
  }
}

function fold(checks: readonly JudgeCheck[]): JudgeCheck[][] {
  const folds = new Map<string, JudgeCheck[]>();
  for (const c of checks) {
    const key = [c.characterId ?? '', c.kind, family(c.id), c.passed, c.hard, isSkipped(c)].join('|');
    const list = folds.get(key);
    if (list) list.push(c);
    else folds.set(key, [c]);
  }
  return [...folds.values()];
}

function toRow(checks: JudgeCheck[], nameOf: (id: string) => string): ReportRow {
  const first = checks[0]!;
  const boxes = checks.flatMap((c) => (c.box ? [c.box] : []));
  const box = unionBox(boxes);
  return {
    key: first.id,
    kind: first.kind,
    characterId: first.characterId,
    label: rowLabel(first, first.characterId ? nameOf(first.characterId) : null, checks.length),
    passed: first.passed,
    hard: first.hard,
    skipped: isSkipped(first),
    count: checks.length,
    box,
    where: box ? positionWords(box) : null,
    checkIds: checks.map((c) => c.id),
    checks,
  };
}

/** Hard before soft, then by kind, then report order (which is cast order). */
function importance(a: ReportRow, b: ReportRow, order: (r: ReportRow) => number): number {
  return Number(b.hard) - Number(a.hard) || KIND_RANK[a.kind] - KIND_RANK[b.kind] || order(a) - order(b);
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

function list(names: string[]): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

/** A failing row as a sentence. */
function sentence(row: ReportRow, nameOf: (id: string) => string, extras: ReportRow | null): string {
  const who = row.characterId ? nameOf(row.characterId) : 'Someone';
  const fam = base(row.key);
  if (fam === 'cast.extra' || (fam === 'count' && extras)) {
    const x = extras ?? row;
    return x.count === 1
      ? `An extra figure appears${x.where ? ` ${x.where}` : ''}.`
      : `${x.count} extra figures appear in the picture.`;
  }
  if (fam === 'cast') return `${who} is missing.`;
  if (fam === 'identity') return `${who} looks different from the template.`;
  if (fam === 'identity.self') return `${who} looks different from earlier panels.`;
  return `${row.label}${row.count > 1 ? ` (×${row.count})` : ''}.`;
}

function verdictLine(
  verdict: 'pass' | 'fail',
  rows: readonly ReportRow[],
  failures: readonly ReportRow[],
  nameOf: (id: string) => string,
): string {
  if (verdict === 'pass') {
    const alike = rows
      .filter((r) => base(r.key) === 'identity' && r.passed && !r.skipped && r.characterId)
      .map((r) => nameOf(r.characterId!));
    const head = alike.length
      ? `Passes: ${list(alike)} ${alike.length === 1 ? 'looks like the template' : 'look like their templates'}.`
      : 'Passes: nothing the judge checks for is wrong.';
    return failures.length
      ? `${head} ${plural(failures.length, 'small problem', 'small problems')} below.`
      : head;
  }
  if (failures.length === 0) return 'Fails.';
  const extras = failures.find((r) => base(r.key) === 'cast.extra') ?? null;
  const countNamed = failures.slice(0, 2).some((r) => base(r.key) === 'count');
  // The count and the extra figures say the same thing: name it once.
  const named = countNamed && extras ? failures.filter((r) => r !== extras) : [...failures];
  const said = named.slice(0, 2).map((r) => sentence(r, nameOf, base(r.key) === 'count' ? extras : null));
  const more = named.length - said.length;
  return [...said, ...(more > 0 ? [`And ${plural(more, 'more problem', 'more problems')}.`] : [])].join(' ');
}

export function reportView(report: JudgeReport, options: ReportViewOptions): ReportView {
  const { nameOf } = options;
  const cast = [...(options.castOrder ?? [])];
  for (const c of report.checks) if (c.characterId && !cast.includes(c.characterId)) cast.push(c.characterId);
  const position = new Map(report.checks.map((c, i) => [c.id, i]));
  const order = (r: ReportRow) => position.get(r.key) ?? 0;

  const all = fold(report.checks).map((checks) => toRow(checks, nameOf));
  const groupIds: (string | null)[] = [...cast, null];
  const groups = groupIds.flatMap((characterId): ReportGroup[] => {
    const rows = all
      .filter((r) => r.characterId === characterId)
      .sort(
        (a, b) =>
          Number(a.skipped) - Number(b.skipped) ||
          KIND_RANK[a.kind] - KIND_RANK[b.kind] ||
          Number(a.passed) - Number(b.passed) ||
          order(a) - order(b),
      );
    if (rows.length === 0) return [];
    return [{ characterId, title: characterId ? nameOf(characterId) : 'The whole picture', rows }];
  });
  const rows = groups.flatMap((g) => g.rows);
  const failures = rows.filter((r) => !r.passed).sort((a, b) => importance(a, b, order));
  return {
    verdict: report.verdict,
    line: verdictLine(report.verdict, rows, failures, nameOf),
    groups,
    rows,
    failures,
    top: failures[0] ?? null,
  };
}

/**
 * The groups cut to `limit` rows for the collapsed view: the failures first (most important
 * first), then the other rows in the order shown; empty groups dropped, the order kept.
 */
export function limitRows(view: Pick<ReportView, 'groups' | 'failures'>, limit = ROW_LIMIT): ReportGroup[] {
  const rows = view.groups.flatMap((g) => g.rows);
  const chosen = new Set(view.failures.slice(0, limit));
  const rest = [...rows.filter((r) => !r.skipped), ...rows.filter((r) => r.skipped)];
  for (const r of rest) {
    if (chosen.size >= limit) break;
    chosen.add(r);
  }
  return view.groups.flatMap((g) => {
    const kept = g.rows.filter((r) => chosen.has(r));
    return kept.length ? [{ ...g, rows: kept }] : [];
  });
}
