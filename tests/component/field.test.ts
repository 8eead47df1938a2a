import { afterEach, describe, expect, it } from 'vitest';
import { createRawSnippet } from 'svelte';
import { cleanup, render, screen } from '@testing-library/svelte';
import Field from '../../src/lib/components/Field.svelte';

afterEach(cleanup);

const input = createRawSnippet(() => ({ render: () => '<input id="c-name" />' }));

describe('Field', () => {
  it('shows no counter without a limit', () => {
    render(Field, { label: 'Name', id: 'c-name', children: input });
    expect(screen.queryByTestId('field-counter')).toBeNull();
    expect(screen.getByLabelText('Name')).toBeInTheDocument();
  });

  it('counts against the schema limit and stays quiet far from it', () => {
    render(Field, { label: 'Name', id: 'c-name', limit: 'characterName', value: 'Mira', children: input });
    const counter = screen.getByTestId('field-counter');
    expect(counter).toHaveTextContent('4 / 80');
    expect(counter).toHaveAttribute('aria-live', 'off');
    expect(screen.queryByTestId('field-error')).toBeNull();
  });

  it('announces politely near the limit', () => {
    render(Field, {
      label: 'Name',
      id: 'c-name',
      limit: 'characterName',
      value: 'x'.repeat(75),
      children: input,
    });
    expect(screen.getByTestId('field-counter')).toHaveAttribute('aria-live', 'polite');
    expect(screen.queryByTestId('field-error')).toBeNull();
  });

  it('says in words what is wrong when over the limit, and updates as the value changes', async () => {
    const { rerender } = render(Field, {
      label: 'Name',
      id: 'c-name',
      limit: 'characterName',
      value: 'x'.repeat(5000),
      children: input,
    });
    expect(screen.getByTestId('field-counter')).toHaveTextContent('5,000 / 80');
    expect(screen.getByTestId('field-error')).toHaveTextContent(
      'A character name must be at most 80 characters; this one has 5,000.',
    );
    await rerender({ value: 'x'.repeat(80) });
    expect(screen.queryByTestId('field-error')).toBeNull();
    expect(screen.getByTestId('field-counter')).toHaveTextContent('80 / 80');
  });
});
