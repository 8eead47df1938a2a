import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRawSnippet } from 'svelte';
import { cleanup, render, screen } from '@testing-library/svelte';
import VirtualList from '../../src/lib/components/VirtualList.svelte';
import { visibleRange } from '../../src/lib/components/virtual-range';

afterEach(cleanup);

// jsdom has no layout: bind:clientHeight needs a ResizeObserver, and heights stay 0.
beforeAll(() => {
  globalThis.ResizeObserver ??= class {
    observe() {}
    unobserve() {}
    disconnect() {}
  } as unknown as typeof ResizeObserver;
});

describe('visibleRange', () => {
  it('draws the visible rows plus a few on each side', () => {
    expect(visibleRange(10_000, 50, 0, 500, 5)).toEqual({ start: 0, end: 15 });
    expect(visibleRange(10_000, 50, 5000, 500, 5)).toEqual({ start: 95, end: 115 });
    expect(visibleRange(10_000, 50, 499_900, 500, 5)).toEqual({ start: 9993, end: 10_000 });
    expect(visibleRange(0, 50, 0, 500)).toEqual({ start: 0, end: 0 });
  });
});

describe('VirtualList', () => {
  it('renders a window of 10,000 rows, not all of them', () => {
    const items = Array.from({ length: 10_000 }, (_, i) => ({ id: `r${i}`, title: `Row ${i}` }));
    const row = createRawSnippet((item: () => { title: string }) => ({
      render: () => `<span>${item().title}</span>`,
    }));
    render(VirtualList<{ id: string; title: string }>, {
      props: { items, rowHeight: 50, label: 'Rows', key: (r: { id: string }) => r.id, row, rowTestid: 'row' },
    });
    const rows = screen.getAllByTestId('row');
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.length).toBeLessThan(100);
    expect(screen.getByRole('list', { name: 'Rows' })).toHaveStyle({ height: '500000px' });
    expect(rows[0]).toHaveAttribute('aria-setsize', '10000');
    expect(rows[0]).toHaveTextContent('Row 0');
  });
});
