const GiB = 1024 ** 3;

export function formatBytes(bytes: number): string {
  if (bytes >= GiB) return `${(bytes / GiB).toFixed(bytes >= 100 * GiB ? 0 : 1)} GiB`;
  return `${Math.round(bytes / 1024 ** 2)} MiB`;
}

export function formatMiB(mib: number): string {
  return mib >= 1024 && mib % 256 === 0 ? `${mib / 1024} GiB` : `${mib} MiB`;
}

export function formatPercent(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : `${value.toFixed(value < 10 ? 1 : 0)} %`;
}

/** "12 s ago", "5 min ago", "3 h ago", then the date. */
export function formatAgo(iso: string | null, now: number): string {
  if (!iso) return 'never';
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return iso;
  const s = Math.max(0, Math.round((now - then) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return formatDateTime(iso);
}

/** A running time: "42 s", "5 min", "3 h 12 min", "2 d 4 h". */
export function formatUptime(sinceIso: string, now: number): string {
  const s = Math.max(0, Math.floor((now - Date.parse(sinceIso)) / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`;
}

export function formatDateTime(iso: string | null): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** Task kinds are code words ("vm.create"); show them as an admin would say them. */
export function formatTaskKind(kind: string): string {
  const words: Record<string, string> = {
    'vm.create': 'Create VM',
    'vm.start': 'Start',
    'vm.shutdown': 'Shut down',
    'vm.forceOff': 'Force off',
    'vm.delete': 'Delete',
    'vm.reboot': 'Reboot',
    'vm.reset': 'Reset',
    'vm.pause': 'Pause',
    'vm.resume': 'Resume',
    'vm.save': 'Save to disk',
    'vm.startPaused': 'Start paused',
    'image.import': 'Import image',
    'snapshot.create': 'Snapshot',
    'snapshot.scheduled': 'Scheduled snapshot',
    'snapshot.revert': 'Revert to snapshot',
    'snapshot.delete': 'Delete snapshot',
    'vm.bulk': 'Bulk action',
    'vm.clone': 'Clone',
    'vm.cloneLinked': 'Linked clone',
    'vm.editConfig': 'Edit settings',
    'vm.attachDisk': 'Add disk',
    'vm.detachDisk': 'Remove disk',
    'vm.attachNic': 'Add NIC',
    'vm.detachNic': 'Remove NIC',
    'vm.addCdrom': 'Add CD-ROM drive',
    'vm.insertCdrom': 'Insert CD-ROM',
    'vm.ejectCdrom': 'Eject CD-ROM',
    'template.fromVm': 'Make template',
    'host.maintenance': 'Enter maintenance',
    'host.evacuate-remove': 'Evacuate and remove host',
    'vm.migrate': 'Migrate',
    'cluster.balance': 'Balance cluster',
    'ha.restart': 'HA restart',
  };
  return words[kind] ?? kind;
}

/** "1 VM", "2 VMs", "0 VMs"; `many` for irregular plurals. */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}
