/**
 * Showback figures as the page shows them: unit-hours with three significant digits when small
 * (a VM that ran a minute shows 0.0333, not 0.00), money to the cent, and "< 0.01" for a cost
 * that rounds to zero but is not.
 */
export function formatHours(v: number): string {
  if (v === 0) return '0';
  if (v >= 100) return v.toFixed(0);
  if (v >= 10) return v.toFixed(1);
  if (v >= 0.01) return v.toFixed(2);
  return String(Number(v.toPrecision(3)));
}

/** A chart axis or hover value of money: plain digits, small amounts included. */
export function formatAmount(v: number): string {
  return v >= 0.01 || v === 0 ? v.toFixed(2) : String(Number(v.toPrecision(2)));
}

export function formatCost(v: number, currency: string): string {
  if (v > 0 && v < 0.005) return `< 0.01 ${currency}`;
  return `${v.toFixed(2)} ${currency}`;
}
