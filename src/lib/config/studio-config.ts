/**
 * The studio's one configuration, made at the composition root (`main.ts`) and injected into the
 * services: the test hooks and what they imply. Settings (the active pack, the developer switch)
 * and capabilities (the WebGPU probe) are read by the services themselves, through this object's
 * policy, so there is one answer to "which pack, which device" in the whole app.
 */
import type { Device } from '../models/manifest';
import { NO_HOOKS, type TestHooks } from './test-hooks';

export interface StudioConfig {
  readonly hooks: Readonly<TestHooks>;
  /** The drawing backend the probe is asked for (a hook may force WASM). */
  readonly preferBackend: Device | undefined;
  /** Where the judge runs; undefined: the drawing backend. */
  readonly judgeDevice: Device | undefined;
  /** May test packs be offered and chosen (the hooks, or the developer switch in Settings). */
  testPacksAllowed(developerSwitch: boolean): boolean;
}

export function createStudioConfig(hooks: Readonly<TestHooks> = NO_HOOKS): StudioConfig {
  return Object.freeze({
    hooks,
    preferBackend: hooks.backend,
    judgeDevice: hooks.judgeDevice,
    testPacksAllowed: (developerSwitch: boolean) => hooks.testPacks || developerSwitch,
  });
}
