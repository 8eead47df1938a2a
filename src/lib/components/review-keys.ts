/** The review queue's keyboard shortcuts (pure, so the rules are tested without a page). */
export type ReviewCommand = 'accept' | 'reject' | 'regenerate' | 'edit' | 'next' | 'previous' | 'back';

const KEYS: Record<string, ReviewCommand> = {
  a: 'accept',
  r: 'reject',
  g: 'regenerate',
  e: 'edit',
  j: 'next',
  ArrowRight: 'next',
  k: 'previous',
  ArrowLeft: 'previous',
  Escape: 'back',
};

/** Commands that change something: a held key does not repeat them. */
const ONCE = new Set<ReviewCommand>(['accept', 'reject', 'regenerate', 'edit']);

interface KeyLike {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  repeat: boolean;
  defaultPrevented: boolean;
  target: EventTarget | null;
}

/** Typing in a field is never a shortcut. */
function typing(target: EventTarget | null): boolean {
  const el = target as { tagName?: unknown; isContentEditable?: unknown } | null;
  if (!el || typeof el.tagName !== 'string') return false;
  return el.isContentEditable === true || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName);
}

/** The command a key press asks for, or null (a modifier, a field, or not a shortcut). */
export function reviewCommand(e: KeyLike): ReviewCommand | null {
  if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return null;
  const command = KEYS[e.key.length === 1 ? e.key.toLowerCase() : e.key] ?? null;
  if (command && e.repeat && ONCE.has(command)) return null;
  return command;
}
