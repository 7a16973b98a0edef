const UNITS = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** Bytes with a binary unit, small sizes too (a thin volume allocates KiB): "196 KiB", "2.0 GiB". */
export function formatSize(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 1024) return `${Math.max(0, Math.round(bytes || 0))} bytes`;
  let i = 0;
  let v = bytes;
  while (v >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 100 || Number.isInteger(v) ? Math.round(v) : v.toFixed(1)} ${UNITS[i]}`;
}

/** A size typed by a person: a number with an optional unit (MiB default). null when not a size. */
export function parseSize(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(k|m|g|t)?i?b?\s*$/i.exec(text);
  if (!m) return null;
  const scale = { k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[(m[2] ?? 'm').toLowerCase() as 'k'];
  const bytes = Math.round(Number(m[1]) * scale);
  return bytes > 0 ? bytes - (bytes % 512) : null;
}
