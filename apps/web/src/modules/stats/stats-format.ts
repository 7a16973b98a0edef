const KiB = 1024;

/** Bytes per second in binary units: "0 B/s", "12.3 KiB/s", "4.0 MiB/s". */
export function formatRate(bps: number): string {
  return `${formatBinary(bps)}/s`;
}

/** Bytes in binary units, one decimal from KiB on. */
export function formatBinary(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = Math.max(0, bytes);
  let i = 0;
  while (v >= KiB && i < units.length - 1) {
    v /= KiB;
    i++;
  }
  return i === 0 ? `${Math.round(v)} ${units[i]}` : `${v.toFixed(v >= 100 ? 0 : 1)} ${units[i]}`;
}

export function formatCpu(percent: number): string {
  return `${percent === 0 ? '0' : percent.toFixed(percent < 10 ? 1 : 0)} %`;
}

/** An axis or hover time: HH:MM for ranges within a day, else "12-01 14:05". */
export function formatTick(t: number, spanMs: number, seconds = false): string {
  const d = new Date(t);
  const pad = (n: number) => String(n).padStart(2, '0');
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}${seconds ? `:${pad(d.getSeconds())}` : ''}`;
  return spanMs > 24 * 3600_000 ? `${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${hm}` : hm;
}

/** A "nice" axis top at or above `max` (1, 2, 2.5 or 5 times a power of ten), never 0. */
export function niceCeiling(max: number): number {
  if (!(max > 0)) return 1;
  const pow = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * pow >= max) return m * pow;
  return 10 * pow;
}

/** Like niceCeiling, but in powers of 1024 for byte quantities (so axes read 512 KiB, 2 MiB). */
export function niceBytesCeiling(max: number): number {
  if (!(max > 0)) return KiB;
  const pow = KiB ** Math.floor(Math.log(max) / Math.log(KiB));
  return niceCeiling(max / pow) * pow;
}
