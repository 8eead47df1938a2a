/**
 * The engine worker's GPU device, watched: when the browser takes it away (a driver reset, another
 * tab, a test destroying it) the loss is recorded from GPUDevice.lost, so a failing run is reported
 * with the code `device-lost` — a typed fact, never a guess from an error message.
 */
import { ort } from './ort-env';

let lost: string | null = null;
let device: GPUDevice | null = null;

/** Get ORT's WebGPU device (creating it, before the first session) and listen for its loss. */
export async function watchDevice(onLost: (reason: string) => void = () => {}): Promise<void> {
  if (device) return;
  device = (await ort.env.webgpu.device) as GPUDevice;
  lost = null;
  void device.lost.then((info) => {
    lost = info.message || info.reason || 'the GPU device was lost';
    onLost(lost);
  });
}

/** Why the device was lost, or null while it lives. */
export function deviceLost(): string | null {
  return lost;
}

/** Test hooks only: destroy the device as a driver reset would. */
export function loseDeviceForTest(): void {
  device?.destroy();
}
