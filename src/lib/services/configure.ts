/**
 * Injecting the studio's configuration into the services, once, from the composition root.
 * The models service holds it; the engine, gate and judge services read it from there.
 */
import type { StudioConfig } from '../config';
import { bundleService } from './bundle.service';
import { engineService } from './engine.service';
import { modelsService } from './models.service';

export const TEST_CONTROLS_GLOBAL = '__STORYLOOM_TEST_CONTROLS__';

export function configureServices(config: StudioConfig): void {
  modelsService.configure(config);
  bundleService.configure({ stepDelayMs: config.hooks.shareStepDelayMs ?? 0 });
  // Only with the test hook: what an e2e may do to the real engine that an artist never can.
  if (config.hooks.testDeviceLoss)
    (globalThis as Record<string, unknown>)[TEST_CONTROLS_GLOBAL] = {
      loseDevice: () => engineService.loseDevice(),
    };
}
