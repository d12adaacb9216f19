/** A byte count for messages people read: `512 bytes`, `3.4 kB`, `12.5 MB`. */
export function formatBytes(n: number): string {
  if (n >= 1_000_000) return `${Math.round(n / 100_000) / 10} MB`;
  if (n >= 1000) return `${Math.round(n / 100) / 10} kB`;
  return `${n} bytes`;
}
