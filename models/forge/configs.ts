/**
 * The JSON files transformers.js reads next to a model, written for the twins
 * with the real repos' keys and the twins' small sizes.
 */
import type { Component } from '../../src/lib/models/manifest.ts';
import { llmConfigFile } from './llm-twin.ts';
import { EOS, tokenizerConfig, tokenizerJson, vocabulary } from './tokenizer.ts';
import { vlmConfigFile } from './vlm-twin.ts';

const CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073];
const CLIP_STD = [0.26862954, 0.26130258, 0.27577711];

function clipConfig(vocabSize: number): object {
  const text = {
    model_type: 'clip_text_model',
    vocab_size: vocabSize,
    hidden_size: 32,
    projection_dim: 512,
    max_position_embeddings: 77,
    bos_token_id: vocabSize - 2,
    eos_token_id: vocabSize - 1,
    pad_token_id: 0,
  };
  const vision = {
    model_type: 'clip_vision_model',
    hidden_size: 768,
    image_size: 224,
    patch_size: 32,
    projection_dim: 512,
  };
  return {
    architectures: ['CLIPModel'],
    model_type: 'clip',
    projection_dim: 512,
    logit_scale_init_value: 2.6592,
    text_config: text,
    vision_config: vision,
  };
}

function owlvitConfig(vocabSize: number): object {
  return {
    architectures: ['OwlViTForObjectDetection'],
    model_type: 'owlvit',
    projection_dim: 512,
    text_config: {
      model_type: 'owlvit_text_model',
      vocab_size: vocabSize,
      hidden_size: 32,
      max_position_embeddings: 16,
      bos_token_id: vocabSize - 2,
      eos_token_id: vocabSize - 1,
      pad_token_id: 0,
    },
    vision_config: { model_type: 'owlvit_vision_model', hidden_size: 768, image_size: 768, patch_size: 32 },
  };
}

const clipPreprocessor = (size: number, crop: boolean) => ({
  image_processor_type: crop ? 'CLIPImageProcessor' : 'OwlViTImageProcessor',
  feature_extractor_type: crop ? 'CLIPFeatureExtractor' : 'OwlViTFeatureExtractor',
  do_resize: true,
  size: crop ? { shortest_edge: size } : { height: size, width: size },
  resample: 3,
  do_center_crop: crop,
  crop_size: { height: size, width: size },
  do_rescale: true,
  rescale_factor: 1 / 255,
  do_normalize: true,
  image_mean: CLIP_MEAN,
  image_std: CLIP_STD,
});

/** The JSON of a non-ONNX file of a tiny component, or undefined if the forge does not write it. */
export function configFile(component: Component, path: string): object | undefined {
  const model = component.graphs.find((g) => g.id === 'model');
  if (component.role === 'planner-llm' && model) return llmConfigFile(model, path);
  if (component.role === 'vlm-judge') return vlmConfigFile(component.graphs, path);
  const vocabSize = vocabulary().length;
  const clip = component.role === 'image-text-encoder';
  const owl = component.role === 'detector';
  if (!clip && !owl) return undefined;
  switch (path) {
    case 'config.json':
      return clip ? clipConfig(vocabSize) : owlvitConfig(vocabSize);
    case 'preprocessor_config.json':
      return clip ? clipPreprocessor(224, true) : clipPreprocessor(768, false);
    case 'tokenizer.json':
      return tokenizerJson();
    case 'tokenizer_config.json':
      return clip
        ? tokenizerConfig({ maxLength: 77, pad: EOS, tokenizerClass: 'CLIPTokenizer' })
        : tokenizerConfig({ maxLength: 16, pad: '!', tokenizerClass: 'CLIPTokenizer' });
    default:
      return undefined;
  }
}
