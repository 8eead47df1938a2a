import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen, within } from '@testing-library/svelte';
import RegionBoxEditor from '../../src/lib/components/RegionBoxEditor.svelte';
import type { RegionBox } from '../../src/lib/domain';

const mira = { id: 'm', label: 'Mira', colour: '#d1495b', region: { x: 0.1, y: 0.1, w: 0.3, h: 0.5 } };
const tomas = { id: 't', label: 'Tomas', colour: '#2e86ab', region: { x: 0.6, y: 0.1, w: 0.4, h: 0.9 } };

afterEach(cleanup);

function setup(items = [mira, tomas]) {
  const onchange = vi.fn<(id: string, region: RegionBox) => void>();
  const result = render(RegionBoxEditor, { props: { id: 'p1', items, aspect: 1.6, onchange } });
  return { onchange, ...result };
}

const field = (name: string, f: string) =>
  within(screen.getByRole('group', { name: `${name} region` })).getByLabelText(f, {
    exact: true,
  }) as HTMLInputElement;

describe('RegionBoxEditor', () => {
  it('draws one named box per character, placed by its region', () => {
    setup();
    const boxes = screen.getAllByTestId('region-box');
    expect(boxes).toHaveLength(2);
    expect(boxes[0]).toHaveTextContent('Mira');
    expect(boxes[0]!.style.left).toBe('10%');
    expect(boxes[1]!.style.width).toBe('40%');
    expect(field('Tomas', 'x').value).toBe('0.6');
  });

  it('reports a typed number as typed, even outside the panel', async () => {
    const { onchange } = setup();
    await fireEvent.change(field('Mira', 'x'), { target: { value: '0.25' } });
    expect(onchange).toHaveBeenLastCalledWith('m', { x: 0.25, y: 0.1, w: 0.3, h: 0.5 });
    await fireEvent.change(field('Mira', 'x'), { target: { value: '1.2' } });
    expect(onchange).toHaveBeenLastCalledWith('m', { x: 1.2, y: 0.1, w: 0.3, h: 0.5 });
    onchange.mockClear();
    await fireEvent.change(field('Mira', 'w'), { target: { value: '' } });
    expect(onchange).not.toHaveBeenCalled();
  });

  it('marks a box outside the panel and says why', async () => {
    const { rerender } = setup();
    expect(screen.queryByText(/must lie inside the panel/)).toBeNull();
    await rerender({ items: [{ ...mira, region: { x: 1.2, y: 0.1, w: 0.3, h: 0.5 } }, tomas] });
    expect(screen.getByText(/must lie inside the panel/)).toBeInTheDocument();
    expect(field('Mira', 'x')).toHaveAttribute('aria-invalid', 'true');
    expect(field('Tomas', 'x')).toHaveAttribute('aria-invalid', 'false');
  });

  it('moves with the arrow keys and resizes with Alt, clamped to the panel', async () => {
    const { onchange } = setup();
    const [miraBox, tomasBox] = screen.getAllByTestId('region-box');
    await fireEvent.keyDown(miraBox!, { key: 'ArrowRight' });
    expect(onchange).toHaveBeenLastCalledWith('m', { x: 0.11, y: 0.1, w: 0.3, h: 0.5 });
    await fireEvent.keyDown(miraBox!, { key: 'ArrowDown', altKey: true, shiftKey: true });
    expect(onchange).toHaveBeenLastCalledWith('m', { x: 0.1, y: 0.1, w: 0.3, h: 0.6 });
    // Tomas touches the right edge: moving right keeps him inside.
    await fireEvent.keyDown(tomasBox!, { key: 'ArrowRight', shiftKey: true });
    expect(onchange).toHaveBeenLastCalledWith('t', { x: 0.6, y: 0.1, w: 0.4, h: 0.9 });
  });

  it('drags a box and its corner in panel units, clamped', async () => {
    const { onchange } = setup();
    const panel = screen.getByTestId('region-panel');
    panel.getBoundingClientRect = () =>
      ({
        x: 0,
        y: 0,
        left: 0,
        top: 0,
        width: 400,
        height: 250,
        right: 400,
        bottom: 250,
        toJSON: () => ({}),
      }) as DOMRect;
    const miraBox = screen.getAllByTestId('region-box')[0]!;
    await fireEvent.pointerDown(miraBox, { button: 0, pointerId: 1, clientX: 100, clientY: 100 });
    await fireEvent.pointerMove(miraBox, { pointerId: 1, clientX: 140, clientY: 125 });
    expect(onchange).toHaveBeenLastCalledWith('m', { x: 0.2, y: 0.2, w: 0.3, h: 0.5 });
    await fireEvent.pointerMove(miraBox, { pointerId: 1, clientX: 2000, clientY: 2000 });
    expect(onchange).toHaveBeenLastCalledWith('m', { x: 0.7, y: 0.5, w: 0.3, h: 0.5 });
    await fireEvent.pointerUp(miraBox, { pointerId: 1 });
    onchange.mockClear();
    await fireEvent.pointerMove(miraBox, { pointerId: 1, clientX: 0, clientY: 0 });
    expect(onchange).not.toHaveBeenCalled();

    const handle = within(miraBox).getByTestId('region-handle');
    await fireEvent.pointerDown(handle, { button: 0, pointerId: 2, clientX: 0, clientY: 0 });
    await fireEvent.pointerMove(miraBox, { pointerId: 2, clientX: 40, clientY: -25 });
    expect(onchange).toHaveBeenLastCalledWith('m', { x: 0.1, y: 0.1, w: 0.4, h: 0.4 });
  });
});
