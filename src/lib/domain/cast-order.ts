/**
 * The characters of a story in the order they first appear in its panels (story order, then cast
 * order): the index a character's colour is picked by, so that it keeps one colour in every panel,
 * on the board, in the boxes and in the judge's report.
 */
export function storyCastOrder(
  panels: readonly { cast: readonly { characterId: string }[] }[],
): Map<string, number> {
  const order = new Map<string, number>();
  for (const panel of panels)
    for (const member of panel.cast)
      if (!order.has(member.characterId)) order.set(member.characterId, order.size);
  return order;
}
