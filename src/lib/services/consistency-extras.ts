/**
 * Regional guidance and the reference collage for a panel's generation, as the extra fields of
 * the engine job (kept apart from engine.service.ts so that file only spreads them in).
 */
import type { Panel } from '../domain';
import type { CompiledChunk, CompiledConditioning } from '../prompt';
import type { GenerateExtras } from '../../../workers/consistency-api';
import { libraryService } from './library.service';

/**
 * Regions (two or more characters) and the reference collage (reference strength above 0) for
 * a panel. With regions the job's own chunks are the scene alone; each region gets the
 * character's identity and transient chunks plus the scene.
 */
export async function consistencyExtras(
  panel: Panel,
  compiled: CompiledConditioning,
  referenceStrength: number,
): Promise<GenerateExtras & { chunks?: CompiledChunk[] }> {
  const out: GenerateExtras & { chunks?: CompiledChunk[] } = {};
  const scene = compiled.chunks.filter((c) => c.kind === 'scene');
  if (panel.cast.length >= 2) {
    out.chunks = scene;
    out.regions = panel.cast.map((m) => ({
      characterId: m.characterId,
      box: { ...m.region },
      chunks: [...compiled.chunks.filter((c) => c.characterId === m.characterId), ...scene],
    }));
  }
  if (referenceStrength > 0) {
    const figures = [];
    for (const m of panel.cast) {
      const c = await libraryService.getCharacter(m.characterId);
      const template = c?.templates[0];
      if (!template) continue;
      const image = await libraryService.getImage(template.imageId);
      if (image) figures.push({ characterId: m.characterId, box: { ...m.region }, image: image.blob });
    }
    out.reference = { strength: Math.min(1, referenceStrength), timeOfDay: panel.scene.timeOfDay, figures };
  }
  return out;
}
