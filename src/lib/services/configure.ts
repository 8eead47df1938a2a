/**
 * Injecting the studio's configuration into the services, once, from the composition root.
 * The models service holds it; the engine, gate and judge services read it from there.
 */
import type { StudioConfig } from '../config';
import { modelsService } from './models.service';

export function configureServices(config: StudioConfig): void {
  modelsService.configure(config);
}
