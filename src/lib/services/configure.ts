/**
 * Injecting the studio's configuration into the services, once, from the composition root.
 * The models service holds it; the engine, gate and judge services read it from there.
 */
import type { StudioConfig } from '../config';
import { bundleService } from './bundle.service';
import { engineService } from './engine.service';
import { modelsService } from './models.service';
import { plannerService, type PlanRequestInput } from './planner.service';

export const TEST_CONTROLS_GLOBAL = '__STORYLOOM_TEST_CONTROLS__';

export function configureServices(config: StudioConfig): void {
  modelsService.configure(config);
  bundleService.configure({ stepDelayMs: config.hooks.shareStepDelayMs ?? 0 });
  // Only with the test hooks: what an e2e or the bench may do that an artist never can.
  const controls: Record<string, unknown> = {};
  if (config.hooks.testDeviceLoss) controls.loseDevice = () => engineService.loseDevice();
  if (config.hooks.testEngineCrash)
    controls.crashEngine = (how: 'close' | 'throw') => engineService.crash(how);
  if (config.hooks.testDeviceLoss || config.hooks.testEngineCrash)
    controls.engineSpawns = () => engineService.spawns();
  // The bench times the planner worker on its own, constrained and not (the baseline).
  if (config.hooks.benchPlanner)
    controls.plan = (request: PlanRequestInput, options: { constrained: boolean; maxNewTokens?: number }) =>
      plannerService.plan(request, options);
  if (Object.keys(controls).length) (globalThis as Record<string, unknown>)[TEST_CONTROLS_GLOBAL] = controls;
}
