/**
 * What this machine can run: a WebGPU adapter (features, limits, fallback flag, info) or the
 * WASM fallback. Plain data comes out, so it can be shown and sent to a worker.
 */
import { chooseBackend, type Backend, type Capabilities } from './variants';

export async function probeCapabilities(prefer?: Backend): Promise<Capabilities> {
  const base = {
    crossOriginIsolated: typeof crossOriginIsolated === 'boolean' ? crossOriginIsolated : false,
    hardwareConcurrency: typeof navigator !== 'undefined' ? (navigator.hardwareConcurrency ?? 1) : 1,
  };
  const none = (why: string): Capabilities => ({
    ...base,
    webgpu: false,
    webgpuUnavailable: why,
    isFallbackAdapter: false,
    features: [],
    adapter: null,
    limits: null,
    backend: 'wasm',
  });
  const gpu = typeof navigator !== 'undefined' ? navigator.gpu : undefined;
  if (!gpu) return none('this browser has no WebGPU (navigator.gpu is missing)');
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (e) {
    return none(`requesting a WebGPU adapter failed: ${String((e as Error)?.message ?? e)}`);
  }
  if (!adapter) return none('no WebGPU adapter is available (no GPU, or it is blocked)');
  const features = [...adapter.features].map(String).sort();
  const info = adapter.info;
  // Models need big buffers: ask for the adapter's maxima, as the runtime will.
  const requiredLimits = {
    maxBufferSize: adapter.limits.maxBufferSize,
    maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
  };
  let limits: Capabilities['limits'] = null;
  let deviceProblem: string | null = null;
  try {
    const device = await adapter.requestDevice({
      requiredLimits,
      requiredFeatures: features.includes('shader-f16') ? ['shader-f16'] : [],
    });
    limits = {
      maxBufferSize: device.limits.maxBufferSize,
      maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize,
    };
    device.destroy();
  } catch (e) {
    deviceProblem = `the adapter would not create a device: ${String((e as Error)?.message ?? e)}`;
  }
  const caps: Capabilities = {
    ...base,
    webgpu: deviceProblem === null,
    webgpuUnavailable: deviceProblem,
    isFallbackAdapter: Boolean(info?.isFallbackAdapter),
    features,
    adapter: info
      ? {
          vendor: info.vendor,
          architecture: info.architecture,
          device: info.device,
          description: info.description,
        }
      : null,
    limits,
    backend: 'wasm',
  };
  caps.backend = chooseBackend(caps, prefer);
  return caps;
}
