// Allowed values of the String "enum" columns (see prisma/schema.prisma).
// Kept as const tuples so callers can build validators, e.g. z.enum(VM_STATES).

export const USER_ROLES = ['admin', 'user'] as const;
export type UserRole = (typeof USER_ROLES)[number];

export const HOST_STATUSES = ['online', 'offline', 'enrolling'] as const;
export type HostStatus = (typeof HOST_STATUSES)[number];

export const VM_STATES = [
  'creating',
  'shutoff',
  'running',
  'paused',
  'shutdown',
  'crashed',
  'pmsuspended',
  'unknown',
  'deleting',
] as const;
export type VmState = (typeof VM_STATES)[number];

export const TASK_STATES = ['queued', 'running', 'succeeded', 'failed'] as const;
export type TaskState = (typeof TASK_STATES)[number];
export const UNFINISHED_TASK_STATES = ['queued', 'running'] as const satisfies readonly TaskState[];

/** Known task kinds; the column accepts any string so new kinds need no migration. */
export const TASK_KINDS = [
  'vm.create',
  'vm.start',
  'vm.shutdown',
  'vm.forceOff',
  'vm.reboot',
  'vm.pause',
  'vm.resume',
  'vm.delete',
  'image.import',
  'vm.bulk',
] as const;
export type TaskKind = (typeof TASK_KINDS)[number];

export const EVENT_SEVERITIES = ['info', 'warning', 'error'] as const;
export type EventSeverity = (typeof EVENT_SEVERITIES)[number];
