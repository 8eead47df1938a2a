import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import CharacterPicker, { matchCharacters } from '../../src/lib/components/CharacterPicker.svelte';

afterEach(cleanup);

const few = [
  { id: 'm', title: 'Mira', verified: true },
  { id: 'a', title: 'Almira', verified: true },
  { id: 'b', title: 'Bo', verified: false },
];

/** A library of thousands, as the picker is meant for. */
const many = Array.from({ length: 2000 }, (_, i) => ({
  id: `c${i}`,
  title: `Character ${String(i).padStart(4, '0')}`,
  verified: i % 2 === 0,
}));

function setup(props: Partial<{ characters: typeof few; disabled: boolean }> = {}) {
  const onpick = vi.fn();
  const user = userEvent.setup();
  const view = render(CharacterPicker, { id: 't-add', characters: few, onpick, ...props });
  const input = screen.getByLabelText('Character to add') as HTMLInputElement;
  return { ...view, onpick, user, input };
}

describe('matchCharacters', () => {
  it('matches a case-insensitive substring, names starting with it first', () => {
    expect(matchCharacters(few, 'MIR').map((c) => c.title)).toEqual(['Mira', 'Almira']);
    expect(matchCharacters([...few, { id: 'x', title: 'Mirabel', verified: true }], 'mirabel').length).toBe(
      1,
    );
    expect(matchCharacters([{ id: 'x', title: 'Mirabel', verified: true }, ...few], 'mira')[0]?.id).toBe('m');
    expect(matchCharacters(few, '  ').length).toBe(3);
    expect(matchCharacters(few, 'zz')).toEqual([]);
  });
});

describe('CharacterPicker', () => {
  it('is a labelled combobox, closed until the artist types', () => {
    const { input } = setup();
    expect(input).toHaveAttribute('role', 'combobox');
    expect(input).toHaveAttribute('aria-expanded', 'false');
    expect(screen.queryAllByRole('option')).toHaveLength(0);
  });

  it('filters by name as the artist types, and marks unverified characters', async () => {
    const { user, input } = setup();
    await user.type(input, 'mir');
    expect(input).toHaveAttribute('aria-expanded', 'true');
    expect(screen.getAllByRole('option').map((o) => o.getAttribute('aria-label'))).toEqual([
      'Mira',
      'Almira',
    ]);
    expect(screen.getByRole('option', { name: 'Mira' })).not.toHaveTextContent('not verified');

    await user.clear(input);
    await user.type(input, 'b');
    const bo = screen.getByRole('option', { name: 'Bo' });
    expect(bo).toHaveTextContent('Bo (not verified)');
    expect(bo).toHaveAccessibleDescription('Not verified');
  });

  it('draws at most fifty matches of thousands and says how many more there are', async () => {
    const { user, input } = setup({ characters: many });
    await user.type(input, 'char');
    expect(screen.getAllByRole('option')).toHaveLength(50);
    expect(screen.getByTestId('picker-more')).toHaveTextContent('and 1950 more — keep typing');

    await user.type(input, 'acter 19');
    expect(screen.getAllByRole('option')).toHaveLength(50);
    expect(screen.getByTestId('picker-more')).toHaveTextContent('and 50 more — keep typing');

    await user.type(input, '99');
    expect(screen.getAllByRole('option').map((o) => o.getAttribute('aria-label'))).toEqual([
      'Character 1999',
    ]);
    expect(screen.queryByTestId('picker-more')).toBeNull();
  });

  it('says so when nothing matches', async () => {
    const { user, input } = setup();
    await user.type(input, 'zz');
    expect(screen.queryAllByRole('option')).toHaveLength(0);
    expect(screen.getByText('No character matches “zz”.')).toBeInTheDocument();
  });

  it('picks with a click: calls onpick with the id and shows the name', async () => {
    const { user, input, onpick } = setup();
    await user.type(input, 'bo');
    await user.click(screen.getByRole('option', { name: 'Bo' }));
    expect(onpick).toHaveBeenCalledWith('b');
    expect(onpick).toHaveBeenCalledTimes(1);
    expect(input.value).toBe('Bo');
    expect(input).toHaveAttribute('aria-expanded', 'false');
  });

  it('picks the highlighted match with Enter', async () => {
    const { user, input, onpick } = setup();
    await user.type(input, 'alm');
    await user.keyboard('{Enter}');
    expect(onpick).toHaveBeenCalledWith('a');
    expect(input.value).toBe('Almira');
  });

  it('moves through matches with the arrow keys', async () => {
    const { user, input, onpick } = setup();
    await user.type(input, 'mir');
    await user.keyboard('{ArrowDown}{Enter}');
    expect(onpick).toHaveBeenCalledWith('a');
  });

  it('clears the input when the value is reset from outside (after Add to panel)', async () => {
    const { user, input, rerender } = setup();
    await user.type(input, 'mi');
    await user.click(screen.getByRole('option', { name: 'Mira' }));
    expect(input.value).toBe('Mira');
    await rerender({ value: '', characters: few.filter((c) => c.id !== 'm') });
    expect(input.value).toBe('');
  });

  it('puts the picked name back when the list closes without a new pick', async () => {
    const { user, input } = setup();
    await user.type(input, 'bo');
    await user.keyboard('{Enter}');
    await user.clear(input);
    await user.type(input, 'mi');
    await user.keyboard('{Escape}');
    expect(input.value).toBe('Bo');
  });

  it('does nothing while disabled', async () => {
    const { user, input, onpick } = setup({ disabled: true });
    expect(input).toBeDisabled();
    await user.type(input, 'mi');
    expect(screen.queryAllByRole('option')).toHaveLength(0);
    expect(onpick).not.toHaveBeenCalled();
  });
});
