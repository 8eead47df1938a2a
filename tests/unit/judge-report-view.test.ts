import { describe, expect, it } from 'vitest';
import { limitRows, positionWords, reportView, ROW_LIMIT } from '../../src/lib/judge';
import { check, extras, nameOf, report, twinReport } from '../helpers/judge-report';

const view = (r = twinReport()) => reportView(r, { nameOf, castOrder: ['m', 'b'] });

describe('positionWords', () => {
  it('names the third of the panel the centre of the box lies in', () => {
    expect(positionWords({ x: 0, y: 0, w: 0.2, h: 0.2 })).toBe('top left');
    expect(positionWords({ x: 0.8, y: 0, w: 0.2, h: 0.2 })).toBe('top right');
    expect(positionWords({ x: 0.4, y: 0, w: 0.2, h: 0.2 })).toBe('top centre');
    expect(positionWords({ x: 0, y: 0.4, w: 0.2, h: 0.2 })).toBe('middle left');
    expect(positionWords({ x: 0.4, y: 0.4, w: 0.2, h: 0.2 })).toBe('centre');
    expect(positionWords({ x: 0.8, y: 0.8, w: 0.2, h: 0.2 })).toBe('bottom right');
    // A box starting top left but reaching far right and down is centred.
    expect(positionWords({ x: 0, y: 0, w: 1, h: 1 })).toBe('centre');
  });
});

describe('reportView', () => {
  it('folds numbered repeats into one row with the count, the ids and the union of the boxes', () => {
    const v = view();
    const folded = v.rows.filter((r) => r.count > 1);
    expect(folded).toHaveLength(1);
    const row = folded[0]!;
    expect(row.count).toBe(100);
    expect(row.label).toBe('Extra figures in the picture');
    expect(row.checkIds).toHaveLength(100);
    expect(row.checkIds[0]).toBe('cast.extra#0');
    expect(row.key).toBe('cast.extra#0');
    expect(row.box).toEqual({ x: 0.01, y: 0.02, w: expect.closeTo(0.19, 9), h: expect.closeTo(0.19, 9) });
    expect(row.where).toBe('top left');
    expect(row.checks.map((c) => c.score)).toEqual(Array(100).fill(0));
    // 114 checks → 14 rows.
    expect(v.rows).toHaveLength(twinReport().checks.length - 99);
  });

  it('groups by character in cast order, the whole picture last, kinds in order within a group', () => {
    const v = reportView(twinReport(), { nameOf, castOrder: ['b', 'm'] });
    expect(v.groups.map((g) => g.title)).toEqual(['Bo', 'Mira', 'The whole picture']);
    expect(v.groups[1]!.rows.map((r) => r.key)).toEqual([
      'identity@m',
      'cast@m',
      'pose@m',
      'expression@m',
      'identity.self@m',
    ]);
    expect(v.groups[2]!.rows.map((r) => r.key)).toEqual([
      'cast.extra#0',
      'count',
      'composition#shotSize',
      'scene',
    ]);
  });

  it('puts plain words on rows, and skipped checks in quiet rows of their own', () => {
    const v = view();
    const label = (key: string) => v.rows.find((r) => r.key === key)!.label;
    expect(label('identity@m')).toBe('Mira looks different from the template');
    expect(label('identity@b')).toBe('Bo looks like the template');
    expect(label('count')).toBe('102 figures instead of 2');
    expect(label('pose@b')).toBe('Bo does not look sitting (pose)');
    const skipped = v.rows.find((r) => r.key === 'identity.self@m')!;
    expect(skipped.skipped).toBe(true);
    expect(skipped.label).toBe(
      'Mira looks as in earlier panels — not checked: no earlier accepted panel with Mira',
    );
    expect(v.rows.find((r) => r.key === 'identity@m')!.skipped).toBe(false);
  });

  it('says the most important failure first: hard before soft, identity before count', () => {
    const v = view();
    expect(v.failures.map((r) => r.key)).toEqual(['identity@m', 'count', 'cast.extra#0', 'pose@b']);
    expect(v.top?.key).toBe('identity@m');
    // The count and the extras say the same thing: named once, in words, and the rest counted.
    expect(v.line).toBe(
      'Mira looks different from the template. 100 extra figures appear in the picture. And 1 more problem.',
    );
  });

  it('names an extra figure by where it is', () => {
    const r = report([check('cast@m', { hard: true }), ...extras(1)], 'fail');
    expect(reportView(r, { nameOf }).line).toBe('An extra figure appears top left.');
  });

  it('says who is missing', () => {
    const r = report([
      check('cast@m', { hard: true }),
      check('cast@b', { hard: true, passed: false, box: { x: 0.6, y: 0.6, w: 0.3, h: 0.3 } }),
    ]);
    const v = reportView(r, { nameOf, castOrder: ['m', 'b'] });
    expect(v.line).toBe('Bo is missing.');
    expect(v.top?.where).toBe('bottom right');
  });

  it('names at most two failures, then counts the rest', () => {
    const r = report([
      check('identity@m', { hard: true, passed: false }),
      check('identity@b', { hard: true, passed: false }),
      check('pose@m', { kind: 'pose', label: "Mira's pose: standing", passed: false }),
      check('scene', { label: 'Scene: a hill', passed: false }),
    ]);
    expect(reportView(r, { nameOf, castOrder: ['m', 'b'] }).line).toBe(
      'Mira looks different from the template. Bo looks different from the template. And 2 more problems.',
    );
  });

  it('says a pass in words, naming who looks like their template', () => {
    const r = report([
      check('identity@m', { hard: true }),
      check('identity@b', { hard: true }),
      check('identity.self@b', { kind: 'identity', detail: 'not run: nothing earlier' }),
    ]);
    const v = reportView(r, { nameOf, castOrder: ['m', 'b'] });
    expect(v.line).toBe('Passes: Mira and Bo look like their templates.');
    expect(v.top).toBeNull();
    const one = report([check('identity@m', { hard: true }), check('scene', { passed: false })]);
    expect(reportView(one, { nameOf }).line).toBe(
      'Passes: Mira looks like the template. 1 small problem below.',
    );
    expect(reportView(report([]), { nameOf }).line).toBe('Passes: nothing the judge checks for is wrong.');
  });
});

describe('limitRows', () => {
  it('keeps at most the limit, failures first, in the order shown', () => {
    const v = view();
    expect(v.rows.length).toBeGreaterThan(ROW_LIMIT);
    const groups = limitRows(v);
    const rows = groups.flatMap((g) => g.rows);
    expect(rows).toHaveLength(ROW_LIMIT);
    for (const f of v.failures) expect(rows).toContain(f);
    // The skipped row is the first to go; order within the shown groups is the full view's order.
    expect(rows.some((r) => r.skipped)).toBe(false);
    const full = v.rows.filter((r) => rows.includes(r));
    expect(rows).toEqual(full);
    expect(
      limitRows(v, 3)
        .flatMap((g) => g.rows)
        .map((r) => r.key),
    ).toEqual(['identity@m', 'cast.extra#0', 'count']);
  });
});
