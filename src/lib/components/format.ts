/** Small pure formatting helpers shared by views and components. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes <= 0) return '0 B';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  const i = Math.min(units.length - 1, Math.floor(Math.log(bytes) / Math.log(1024)));
  const value = bytes / 1024 ** i;
  return `${value >= 10 || i === 0 ? Math.round(value) : value.toFixed(1)} ${units[i]}`;
}

// One formatter for every row: creating one per call costs ~1.5 ms each (seen in the bench profile).
let dateFormat: Intl.DateTimeFormat | undefined;

export function formatDate(ms: number): string {
  if (!ms) return '';
  dateFormat ??= new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
  return dateFormat.format(ms);
}

export const capitalise = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
