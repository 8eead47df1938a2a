import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen, within } from '@testing-library/svelte';
import JudgeReportView from '../../src/lib/components/JudgeReportView.svelte';
import type { Attempt, JudgeReport, RegionBox } from '../../src/lib/domain';
import { check, extras, nameOf, report, twinReport } from '../helpers/judge-report';

afterEach(cleanup);

/** ~100 extra figures plus enough other findings for more than 12 rows. */
function manyFindings(): JudgeReport {
  const r = twinReport(100);
  return {
    ...r,
    checks: [
      ...r.checks,
      check('facing@m', {
        kind: 'facing',
        label: "Mira's facing: left",
        box: { x: 0.05, y: 0.3, w: 0.3, h: 0.6 },
      }),
      check('facing@b', {
        kind: 'facing',
        label: "Bo's facing: right",
        box: { x: 0.6, y: 0.3, w: 0.3, h: 0.6 },
      }),
      check('placement@m', { kind: 'placement', label: 'Mira is located where planned' }),
    ],
  };
}

function setup(r: JudgeReport | null, over: Record<string, unknown> = {}) {
  const onhighlight = vi.fn<(id: string | null) => void>();
  const ondecide = vi.fn();
  const onfix = vi.fn<(box: RegionBox) => void>();
  const result = render(JudgeReportView, {
    props: {
      attempts: [] as Attempt[],
      selectedId: 'a1',
      report: r,
      imageUrl: 'blob:picture',
      highlight: null,
      busy: false,
      status: null,
      error: null,
      nameOf,
      castOrder: ['m', 'b'],
      onselect: vi.fn(),
      onhighlight,
      ondecide,
      onfix,
      ...over,
    },
  });
  return { onhighlight, ondecide, onfix, ...result };
}

// Role queries walk the whole report (over a hundred raw checks in the disclosure): slow in jsdom.
describe('JudgeReportView', { timeout: 20_000 }, () => {
  it('shows at most 12 rows until expanded, the 100 extra figures folded into one row', async () => {
    const r = manyFindings();
    setup(r);
    expect(r.checks.length).toBeGreaterThan(110);
    let rows = screen.getAllByTestId('judge-row');
    expect(rows).toHaveLength(12);
    const folded = rows.filter((el) => el.dataset.count);
    expect(folded).toHaveLength(1);
    expect(folded[0]!.dataset.count).toBe('100');
    expect(folded[0]).toHaveTextContent('Extra figures in the picture ×100');
    expect(folded[0]!.dataset.checkIds!.split(' ')).toHaveLength(100);

    const more = screen.getByTestId('judge-expand');
    expect(more).toHaveTextContent('Show all 16 findings');
    expect(more).toHaveAttribute('aria-expanded', 'false');
    await fireEvent.click(more);
    rows = screen.getAllByTestId('judge-row');
    expect(rows).toHaveLength(16);
    expect(rows.filter((el) => el.dataset.count)).toHaveLength(1);
    expect(screen.getByRole('button', { name: 'Show fewer findings' })).toHaveAttribute(
      'aria-expanded',
      'true',
    );
    // Grouped under headings: the characters in cast order, then the whole picture.
    expect(screen.getAllByRole('heading', { level: 5 }).map((h) => h.textContent)).toEqual([
      'Mira',
      'Bo',
      'The whole picture',
    ]);
  });

  it('says the verdict first, naming the character that looks different', () => {
    setup(manyFindings());
    const verdict = screen.getByTestId('judge-verdict');
    expect(verdict).toHaveAttribute('data-verdict', 'fail');
    expect(verdict).toHaveAttribute('data-attempt-id', 'a1');
    expect(verdict.textContent!.trim()).toMatch(/^Mira looks different from the template\./);
    // Verdict, then the decisions, then the findings.
    const section = screen.getByTestId('judge-report');
    const order = [
      verdict,
      screen.getByRole('button', { name: 'Accept' }),
      screen.getAllByTestId('judge-row')[0]!,
    ];
    expect(section).toContainElement(order[0]!);
    for (let i = 1; i < order.length; i++)
      expect(
        order[i - 1]!.compareDocumentPosition(order[i]!) & Node.DOCUMENT_POSITION_FOLLOWING,
      ).toBeTruthy();
  });

  it('puts an extra figure where it is, in words', () => {
    setup(report([check('cast@m', { hard: true, label: 'Mira is in the picture' }), ...extras(1)], 'fail'));
    expect(screen.getByTestId('judge-verdict')).toHaveTextContent('An extra figure appears top left.');
    const row = screen.getAllByTestId('judge-row').find((el) => el.dataset.checkId === 'cast.extra#0')!;
    expect(row).toHaveTextContent('Extra figure in the picture · top left');
    expect(row.dataset.count).toBeUndefined();
  });

  it('says a pass in plain words', () => {
    setup(
      report([
        check('identity@m', { hard: true, label: 'Mira matches the verified template' }),
        check('identity@b', { hard: true, label: 'Bo matches the verified template' }),
      ]),
    );
    expect(screen.getByTestId('judge-verdict')).toHaveTextContent(
      'Passes: Mira and Bo look like their templates.',
    );
    expect(screen.getByRole('button', { name: 'Fix this' })).toBeDisabled();
  });

  it('keeps the numbers and thresholds behind a disclosure, one entry per raw check', () => {
    const r = manyFindings();
    setup(r);
    const details = screen.getByTestId('judge-numbers');
    expect(details.tagName).toBe('DETAILS');
    expect(details).not.toHaveAttribute('open');
    expect(within(details).getByText('Numbers and thresholds').tagName).toBe('SUMMARY');
    const raw = within(details).getAllByTestId('judge-check');
    expect(raw).toHaveLength(r.checks.length);
    const identity = raw.find((el) => el.dataset.checkId === 'identity@m')!;
    expect(identity).toHaveTextContent('score 0.41 · threshold 0.62');
    expect(identity.dataset.score).toBe('0.41');
    expect(identity.dataset.threshold).toBe('0.62');
    expect(within(identity).getByTestId('judge-detail')).toHaveTextContent('Similarity 0.41');
    expect(details).toHaveTextContent('weighted score 0.61');
    // Not in the rows: they are in words.
    expect(screen.getAllByTestId('judge-row')[0]).not.toHaveTextContent('0.41');
  });

  it('Fix this calls onfix with the box of the most important failure', async () => {
    const { onfix } = setup(manyFindings());
    const fix = screen.getByRole('button', { name: 'Fix this' });
    expect(fix).toBeEnabled();
    await fireEvent.click(fix);
    expect(onfix).toHaveBeenCalledExactlyOnceWith({ x: 0.05, y: 0.3, w: 0.3, h: 0.6 });
  });

  it('Fix this is off when the top failure has no box', () => {
    setup(report([check('scene', { label: 'Scene: a hill', hard: true, passed: false })]));
    expect(screen.getByRole('button', { name: 'Fix this' })).toBeDisabled();
  });

  it('a focused or hovered row highlights its box over the picture', async () => {
    const r = manyFindings();
    const { onhighlight, rerender } = setup(r);
    const row = screen.getAllByTestId('judge-row').find((el) => el.dataset.count)!;
    const button = within(row).getByRole('button');
    expect(button).toHaveAccessibleName(
      /^Extra figures in the picture, 100 times, top left: failed; show its box$/,
    );
    await fireEvent.focus(button);
    expect(onhighlight).toHaveBeenLastCalledWith('cast.extra#0');
    await rerender({ highlight: 'cast.extra#0' });
    const box = screen.getAllByTestId('judge-box').find((el) => el.dataset.checkId === 'cast.extra#0')!;
    expect(box).toHaveAttribute('data-highlighted', 'true');
    // One box per row, not one per raw check.
    expect(screen.getAllByTestId('judge-box').length).toBeLessThan(20);
    await fireEvent.blur(button);
    expect(onhighlight).toHaveBeenLastCalledWith(null);
    await fireEvent.mouseEnter(within(screen.getAllByTestId('judge-row')[0]!).getByRole('button'));
    expect(onhighlight).toHaveBeenLastCalledWith('identity@m');
  });

  it('sends the decisions', async () => {
    const { ondecide } = setup(manyFindings());
    for (const name of ['Accept', 'Reject', 'Override'] as const) {
      await fireEvent.click(screen.getByRole('button', { name }));
      expect(ondecide).toHaveBeenLastCalledWith(name.toLowerCase());
    }
  });
});
