import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import AttemptStrip from '../../src/lib/components/AttemptStrip.svelte';
import type { Attempt } from '../../src/lib/domain';

afterEach(cleanup);

const attempt = (index: number, verdict: 'pass' | 'fail' | null) =>
  ({
    id: `a${index}`,
    index,
    seed: 10 + index,
    imageId: `img${index}`,
    report: verdict ? { verdict, checks: [], weightedScore: 0.5, judgedAt: 1, artistDecision: null } : null,
  }) as unknown as Attempt;

describe('AttemptStrip', () => {
  it('shows every attempt as a frame named by number, verdict and acceptance (the seed in its title); a click selects it', async () => {
    const onselect = vi.fn();
    const attempts = [attempt(0, 'fail'), attempt(1, 'pass'), attempt(2, null)];
    render(AttemptStrip, {
      props: {
        attempts,
        thumb: (id) => (id ? `blob:${id}` : null),
        acceptedId: 'a1',
        selectedId: 'a0',
        onselect,
      },
    });
    const frames = screen.getAllByTestId('strip-frame');
    expect(frames.map((f) => f.getAttribute('aria-label'))).toEqual([
      'Attempt 1, failed',
      'Attempt 2, passed, accepted',
      'Attempt 3, not judged',
    ]);
    expect(frames[0]).toHaveAttribute('aria-current', 'true');
    await fireEvent.click(frames[2]!);
    expect(onselect).toHaveBeenCalledWith(attempts[2]);
  });

  it('draws nothing for a panel without attempts', () => {
    render(AttemptStrip, {
      props: { attempts: [], thumb: () => null, acceptedId: null, selectedId: null, onselect: vi.fn() },
    });
    expect(screen.queryByTestId('attempt-strip')).toBeNull();
  });
});
