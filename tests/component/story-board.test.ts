import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen, within } from '@testing-library/svelte';
import StoryBoard from '../../src/lib/components/StoryBoard.svelte';
import { storyCastOrder } from '../../src/lib/domain';

afterEach(cleanup);

const card = (id: string, caption: string, cast: { id: string; name: string; colour: string }[] = []) => ({
  id,
  status: 'draft' as const,
  image: null,
  cast,
  caption,
});

function setup() {
  const props = {
    cards: [
      card('a', 'Dawn'),
      card('b', 'Mira finds the kite', [{ id: 'm', name: 'Mira', colour: '#d1495b' }]),
      card('c', 'Bo wants it'),
    ],
    selectedId: 'b',
    aspect: 1,
    canAdd: true,
    onselect: vi.fn(),
    onmove: vi.fn(),
    onduplicate: vi.fn(),
    ondelete: vi.fn(),
    onadd: vi.fn(),
  };
  render(StoryBoard, { props });
  return props;
}

describe('StoryBoard', () => {
  it('shows each panel as a card: number, cast in its colour, caption; a panel without cast says so', () => {
    setup();
    const items = screen.getAllByTestId('panel-item');
    expect(items).toHaveLength(3);
    expect(items[0]).toHaveTextContent('Panel 1');
    expect(items[0]).toHaveTextContent('Scene only');
    expect(within(items[1]!).getByTestId('board-cast')).toHaveAttribute('data-colour', '#d1495b');
    expect(items[1]).toHaveTextContent('Mira finds the kite');
    expect(screen.getByRole('button', { name: /^Panel 2/ })).toHaveAttribute('aria-current', 'true');
  });

  it('moves the focused card with Alt and the arrow keys, Home and End; plain arrows do nothing', async () => {
    const props = setup();
    const second = screen.getByRole('button', { name: /^Panel 2/ });
    await fireEvent.keyDown(second, { key: 'ArrowRight' });
    expect(props.onmove).not.toHaveBeenCalled();
    await fireEvent.keyDown(second, { key: 'ArrowRight', altKey: true });
    expect(props.onmove).toHaveBeenLastCalledWith('b', 2);
    await fireEvent.keyDown(second, { key: 'ArrowUp', altKey: true });
    expect(props.onmove).toHaveBeenLastCalledWith('b', 0);
    await fireEvent.keyDown(second, { key: 'End', altKey: true });
    expect(props.onmove).toHaveBeenLastCalledWith('b', 2);
    const first = screen.getByRole('button', { name: /^Panel 1/ });
    await fireEvent.keyDown(first, { key: 'ArrowLeft', altKey: true });
    expect(props.onmove).toHaveBeenCalledTimes(3);
  });

  it('opens, duplicates and deletes through the card', async () => {
    const props = setup();
    await fireEvent.click(screen.getByRole('button', { name: /^Panel 3/ }));
    expect(props.onselect).toHaveBeenCalledWith('c');
    await fireEvent.click(screen.getByRole('button', { name: 'Duplicate panel 1' }));
    expect(props.onduplicate).toHaveBeenCalledWith('a');
    await fireEvent.click(screen.getByRole('button', { name: 'Delete panel 2' }));
    expect(props.ondelete).toHaveBeenCalledWith('b');
    await fireEvent.click(screen.getByRole('button', { name: 'Add panel' }));
    expect(props.onadd).toHaveBeenCalled();
  });
});

describe('storyCastOrder', () => {
  it('numbers the characters by first appearance: panel order, then cast order', () => {
    const order = storyCastOrder([
      { cast: [] },
      { cast: [{ characterId: 'mira' }] },
      { cast: [{ characterId: 'bo' }, { characterId: 'mira' }] },
      { cast: [{ characterId: 'cy' }] },
    ]);
    expect([...order]).toEqual([
      ['mira', 0],
      ['bo', 1],
      ['cy', 2],
    ]);
  });
});
