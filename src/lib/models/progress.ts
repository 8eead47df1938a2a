/**
 * Progress is one discriminated union so the UI draws model downloads, denoising steps and
 * gate attempts with the same bars. Model downloads use initiate | download | progress | done | ready;
 * later stages extend `StoryLoomProgress` with step | judge | attempt.
 */
export interface TransferFigures {
  /** Bytes on disk so far (including bytes kept from an earlier, interrupted transfer). */
  loaded: number;
  total: number;
  /** Bytes per second over the last few seconds; 0 before enough samples. */
  rate: number;
  /** Seconds left at the current rate; null while unknown. */
  eta: number | null;
}

export type ModelProgress =
  | { status: 'initiate'; packId: string; file: string | null; total: number }
  | { status: 'download'; packId: string; file: string; offset: number; resumed: boolean; restarted?: string }
  | ({ status: 'progress'; packId: string; file: string | null } & TransferFigures)
  | { status: 'done'; packId: string; file: string; bytesFetched: number; resumedFrom: number }
  | { status: 'ready'; packId: string };

/** Room for the later members of the architecture's union without touching model code. */
export type StoryLoomProgress =
  | ModelProgress
  | { status: 'step'; step: number; total: number }
  | { status: 'judge'; check: string; index: number; total: number }
  | { status: 'attempt'; attempt: number; max: number };

export type ProgressListener = (event: ModelProgress) => void;

/**
 * A rate over a sliding time window: smooth enough for a "time left" that does not jump,
 * quick enough to follow a connection that slows down.
 */
export class RateMeter {
  readonly #windowMs: number;
  #samples: { t: number; bytes: number }[] = [];

  constructor(windowMs = 5000) {
    this.#windowMs = windowMs;
  }

  /** Record that `bytes` more arrived at time `t` (ms). */
  add(bytes: number, t: number): void {
    this.#samples.push({ t, bytes });
    const from = t - this.#windowMs;
    while (this.#samples.length > 2 && (this.#samples[0]?.t ?? t) < from) this.#samples.shift();
  }

  /** Bytes per second; 0 until two samples at least 100 ms apart exist. */
  rate(): number {
    const first = this.#samples[0];
    const last = this.#samples[this.#samples.length - 1];
    if (!first || !last || last.t - first.t < 100) return 0;
    // The first sample's bytes arrived before the window starts: count from its end.
    let bytes = 0;
    for (let i = 1; i < this.#samples.length; i++) bytes += this.#samples[i]?.bytes ?? 0;
    return (bytes * 1000) / (last.t - first.t);
  }

  reset(): void {
    this.#samples = [];
  }
}

/** Seconds left, or null when the rate is unknown. */
export function etaSeconds(loaded: number, total: number, rate: number): number | null {
  if (loaded >= total) return 0;
  if (!(rate > 0)) return null;
  return (total - loaded) / rate;
}

export function figures(loaded: number, total: number, rate: number): TransferFigures {
  return { loaded, total, rate, eta: etaSeconds(loaded, total, rate) };
}

/** 0..1, never NaN. */
export function fraction(loaded: number, total: number): number {
  if (total <= 0) return loaded > 0 ? 1 : 0;
  return Math.min(1, Math.max(0, loaded / total));
}

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '–';
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  const digits = unit === 0 || value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${UNITS[unit]}`;
}

export function formatRate(bytesPerSecond: number): string {
  return bytesPerSecond > 0 ? `${formatBytes(bytesPerSecond)}/s` : '–';
}

export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return 'unknown';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}
