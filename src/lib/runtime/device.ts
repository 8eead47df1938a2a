/**
 * The engine worker's GPU device, watched: when the browser takes it away (a driver reset, another
 * tab, a test destroying it) the loss is recorded from GPUDevice.lost, so a failing run is reported
 * with the code `device-lost` — a typed fact, never a guess from an error message.
 */
import { ort } from './ort-env';

let lost: string | null = null;
let device: GPUDevice | null = null;
let listener: (reason: string) => void = () => {};

/** Who hears of a loss (the worker records it for its error model). */
export function onDeviceLost(handler: (reason: string) => void): void {
  listener = handler;
}

/**
 * Listen for the loss of ORT's WebGPU device. ORT makes the device with its first WebGPU session,
 * so this is called after each one (once the device exists, again is a no-op).
 */
export async function watchDevice(): Promise<void> {
  if (device) return;
  const d = (await ort.env.webgpu.device) as GPUDevice | undefined;
  if (!d?.lost) return;
  device = d;
  lost = null;
  void d.lost.then((info) => {
    lost = info.message || info.reason || 'the GPU device was lost';
    listener(lost);
  });
}

/**
 * Why the device was lost, once a failure has had time to show it: a destroyed device fails a pending
 * readback (mapAsync: "Buffer was unmapped before mapping was resolved") before GPUDevice.lost
 * resolves, so a failure is classed only after `lost` had up to `ms` to settle. Null while it lives.
 */
export async function settledLoss(ms = 100): Promise<string | null> {
  const d = device;
  if (lost || !d) return lost;
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    d.lost.then(() => undefined),
    new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))),
  ]);
  clearTimeout(timer);
  return lost;
}

/** Why the device was lost, or null while it lives. */
export function deviceLost(): string | null {
  return lost;
}

/** Test hooks only: destroy the device as a driver reset would. */
export function loseDeviceForTest(): void {
  device?.destroy();
}
