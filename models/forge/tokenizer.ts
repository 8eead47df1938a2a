/**
 * A hand-written CLIP-like tokenizer for the twins: a WordLevel model whose
 * vocabulary holds every word of our closed vocabularies plus common prompt
 * words, lower-cased, with CLIP's special tokens and id layout ("!" is id 0,
 * start/end of text are the last two ids).
 */
import {
  CAMERA_ANGLES,
  EXPRESSIONS,
  FACINGS,
  GAZES,
  POSES,
  SHOT_SIZES,
  TIMES_OF_DAY,
  type Term,
} from '../../src/lib/domain/vocabulary.ts';

export const BOS = '<|startoftext|>';
export const EOS = '<|endoftext|>';

const PROMPT_WORDS = `a an the of and or with without in on at to from by for into over under near behind
is are wearing has have holding hair eyes skin red blue green yellow black white brown blonde pink purple
orange grey gray silver gold dark light pale short long curly straight wavy tall small big young old man
woman boy girl child person people character characters portrait illustration comic manga panel style anime
watercolor ink sketch digital painting cartoon background forest city street room house castle beach
mountain sky sea river night day sun moon rain snow cat dog dragon knight wizard princess robot hat coat
dress shirt jacket scarf glasses sword book cup table chair window door shadow detailed high quality
masterpiece same one two three scene composition left right center middle top bottom foreground
blurry bad low deformed extra text watermark`;

const WORD = /\w+|[^\w\s]+/g;

function words(text: string): string[] {
  return text.toLowerCase().match(WORD) ?? [];
}

/** Every word the twins' tokenizers know, sorted, so ids are stable. */
export function vocabularyWords(): string[] {
  const lists: readonly (readonly Term[])[] = [POSES, EXPRESSIONS, FACINGS, GAZES, SHOT_SIZES, CAMERA_ANGLES];
  const texts = lists.flatMap((terms) => terms.flatMap((t) => [t.id, t.label, t.draw, t.check]));
  const all = new Set([...texts, ...TIMES_OF_DAY, PROMPT_WORDS].flatMap(words));
  for (let d = 0; d <= 9; d++) all.add(String(d));
  all.delete('!');
  return [...all].sort();
}

/** id → token: "!" first (CLIP's id 0, SD 2's pad), words, then BOS and EOS last. */
export function vocabulary(): string[] {
  return ['!', ...vocabularyWords(), BOS, EOS];
}

const special = (id: number, content: string) => ({
  id,
  content,
  single_word: false,
  lstrip: false,
  rstrip: false,
  normalized: false,
  special: true,
});

export function tokenizerJson(): object {
  const vocab = vocabulary();
  const bosId = vocab.length - 2;
  const eosId = vocab.length - 1;
  const token = (id: string) => ({ SpecialToken: { id, type_id: 0 } });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special(bosId, BOS), special(eosId, EOS)],
    normalizer: { type: 'Sequence', normalizers: [{ type: 'NFC' }, { type: 'Lowercase' }] },
    pre_tokenizer: { type: 'Whitespace' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [token(BOS), { Sequence: { id: 'A', type_id: 0 } }, token(EOS)],
      pair: [
        token(BOS),
        { Sequence: { id: 'A', type_id: 0 } },
        token(EOS),
        { Sequence: { id: 'B', type_id: 1 } },
        token(EOS),
      ],
      special_tokens: {
        [BOS]: { id: BOS, ids: [bosId], tokens: [BOS] },
        [EOS]: { id: EOS, ids: [eosId], tokens: [EOS] },
      },
    },
    decoder: null,
    model: { type: 'WordLevel', vocab: Object.fromEntries(vocab.map((w, i) => [w, i])), unk_token: EOS },
  };
}

/** tokenizer_config.json as the real repos spell it; `pad` is the padding token. */
export function tokenizerConfig(opts: { maxLength: number; pad: string; tokenizerClass: string }): object {
  return {
    tokenizer_class: opts.tokenizerClass,
    model_max_length: opts.maxLength,
    bos_token: BOS,
    eos_token: EOS,
    pad_token: opts.pad,
    unk_token: EOS,
    do_lower_case: true,
    clean_up_tokenization_spaces: false,
  };
}
