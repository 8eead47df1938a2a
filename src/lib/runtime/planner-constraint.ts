/**
 * Constrained decoding for the planner: a `StructuredOutputProcessor`
 * (@huggingface/transformers-structured-output 4.3.0) built for one of the planner's JSON schemas
 * (src/lib/planner/schema.ts), passed to transformers.js' `generate` as `logits_processor`.
 *
 * The processor keeps the grammar's state from token to token, so it serves exactly one generation:
 * make a new one per call (one per outline, one per panel attempt). It masks every token that could not
 * continue a schema-valid document, allows EOS once the document is complete, and throws when no token
 * can continue (a dead end: a tokenizer that cannot spell what the schema needs). `warmup` builds the
 * per-tokenizer tries once, after the model loads, so the first plan does not pay for it.
 */
import { StructuredOutputProcessor } from '@huggingface/transformers-structured-output';
import { StoryLoomError } from '../domain/errors';
import type { JsonSchema } from '../planner/schema';

/** A tokenizer the processor can read: a transformers.js tokenizer, or `{ tokens: bytes[], eos_token_id }`. */
export type ConstraintTokenizer = object;

/** One processor for one generation under `schema`. */
export function planConstraint(
  tokenizer: ConstraintTokenizer,
  schema: JsonSchema,
): StructuredOutputProcessor {
  try {
    return new StructuredOutputProcessor(tokenizer, {
      type: 'json_schema',
      json_schema: schema as { [key: string]: never },
    });
  } catch (e) {
    throw new StoryLoomError(
      'invalid-input',
      `The planner's schema cannot constrain this model's tokenizer: ${e instanceof Error ? e.message : String(e)}`,
      { cause: e },
    );
  }
}

/** Pay the per-tokenizer set-up once (after loading the model), not in the first plan. */
export function warmupPlanConstraint(tokenizer: ConstraintTokenizer): void {
  StructuredOutputProcessor.warmup(tokenizer);
}

/** Did a generation stop because the constraint found no token to continue with? */
export const isConstraintDeadEnd = (e: unknown): boolean =>
  e instanceof Error && /constraint reached a dead end/i.test(e.message);
