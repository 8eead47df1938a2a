/**
 * transformers.js under vitest: its web build (vite.config.ts aliases it for the unit project) finds no
 * runtime of its own under Node, so hand it onnxruntime-web's Node build through the global it checks
 * first (`Symbol.for('onnxruntime')`). Import this module before anything that imports transformers.js.
 */
import * as ort from 'onnxruntime-web';

(globalThis as Record<symbol, unknown>)[Symbol.for('onnxruntime')] = ort;
