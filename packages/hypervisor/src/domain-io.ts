/**
 * Disk and network counters of one GetAllDomainStats record, and rates between two samples.
 * libvirt reports cumulative bytes per disk (`block.<n>.rd.bytes`, `block.<n>.wr.bytes`) and per
 * interface (`net.<n>.rx.bytes`, `net.<n>.tx.bytes`), numbered 0..count-1:
 * https://libvirt.org/html/libvirt-libvirt-domain.html#virConnectGetAllDomainStats
 */

export interface IoCounters {
  diskRead: number;
  diskWrite: number;
  netRx: number;
  netTx: number;
}

export interface IoRates {
  diskReadBps: number;
  diskWriteBps: number;
  netRxBps: number;
  netTxBps: number;
}

/** Sums the domain's disks and interfaces; `num` unwraps libvirt-dbus' variants. */
export function ioCounters(params: Record<string, unknown>, num: (v: unknown) => number): IoCounters {
  const sum = (prefix: 'block' | 'net', field: string) => {
    let total = 0;
    const count = num(params[`${prefix}.count`]);
    for (let i = 0; i < count; i++) total += num(params[`${prefix}.${i}.${field}`]);
    return total;
  };
  return {
    diskRead: sum('block', 'rd.bytes'),
    diskWrite: sum('block', 'wr.bytes'),
    netRx: sum('net', 'rx.bytes'),
    netTx: sum('net', 'tx.bytes'),
  };
}

/**
 * Bytes per second between two samples `seconds` apart. A counter that went down (the domain
 * restarted, a disk was detached) counts as 0 for that interval rather than a negative rate.
 */
export function ioRates(now: IoCounters, before: IoCounters, seconds: number): IoRates {
  const rate = (a: number, b: number) => (seconds > 0 && a >= b ? Math.round((a - b) / seconds) : 0);
  return {
    diskReadBps: rate(now.diskRead, before.diskRead),
    diskWriteBps: rate(now.diskWrite, before.diskWrite),
    netRxBps: rate(now.netRx, before.netRx),
    netTxBps: rate(now.netTx, before.netTx),
  };
}
