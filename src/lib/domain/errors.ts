/**
 * One way to report a problem: a code for programs, a sentence for people that
 * says what was wrong and what is allowed.
 */
export type ErrorCode =
  | 'invalid-input'
  | 'not-found'
  | 'quota-exceeded'
  | 'storage-failed'
  | 'schema-too-new'
  | 'stale-tab'
  | 'unsupported-file'
  | 'file-too-large'
  /** No installed model pack can do what was asked: the UI adds a link to Models. */
  | 'needs-models';

export class StoryLoomError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoryLoomError';
    this.code = code;
  }
}

export const isStoryLoomError = (e: unknown): e is StoryLoomError =>
  e instanceof Error && 'code' in e && (e as { name?: string }).name === 'StoryLoomError';

/** Does this failure mean "install or finish a model pack first"? */
export const needsModels = (e: unknown): boolean => isStoryLoomError(e) && e.code === 'needs-models';

/** The sentence to show a person for any thrown value; never a stack trace. */
export function userMessage(e: unknown): string {
  if (isStoryLoomError(e)) return e.message;
  if (e instanceof Error && e.message) return `Something went wrong: ${e.message}`;
  return 'Something went wrong. Nothing you made was changed; please try again.';
}
