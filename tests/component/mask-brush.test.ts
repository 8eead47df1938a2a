import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, render, screen } from '@testing-library/svelte';
import MaskBrush from '../../src/lib/components/MaskBrush.svelte';

afterEach(cleanup);

describe('MaskBrush preset', () => {
  it('shows a preset box (the judge’s failing region) as the mask, in whole pixels', async () => {
    const onchange = vi.fn();
    const props = { src: 'blob:a', width: 64, height: 40, onchange, preset: null };
    const { rerender } = render(MaskBrush, { props });
    const canvas = screen.getByTestId('mask-canvas');
    expect(canvas).toHaveAttribute('data-mask-box', '');
    await rerender({ preset: { x: 0.25, y: 0.5, w: 0.5, h: 0.25 } });
    expect(canvas).toHaveAttribute('data-mask-box', '16,20,32,10');
    expect(screen.getByRole('radio', { name: 'Box' })).toBeChecked();
    // A new picture starts with an empty mask; the same preset is not drawn again.
    await rerender({ src: 'blob:b' });
    expect(canvas).toHaveAttribute('data-mask-box', '');
    expect(onchange).not.toHaveBeenCalled();
  });
});
