// How numbers and times read on the console's pages.
export function score(value: number | null): string {
  return value === null ? '–' : value.toFixed(3);
}

/** A rate in scientific notation when small (1e-3 reads better than 0.001000). */
export function rate(value: number | null | undefined): string {
  if (value === null || value === undefined) return '–';
  if (value === 0) return '0';
  return value < 0.01 ? value.toExponential(2) : value.toFixed(4);
}

export function time(at: number | string): string {
  return new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function dateTime(at: number | string): string {
  return new Date(at).toLocaleString();
}

export function masked(value: boolean | null): string {
  return value === null ? 'mask not estimated' : value ? 'masked' : 'unmasked';
}
