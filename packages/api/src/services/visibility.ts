/**
 * What a caller may read: admins everything; other users nothing that names hosts, their
 * capacity or paths. One place for error messages (API errors and task errors alike).
 */
import type { ErrorCode } from '@vireo/protocol';
import type { TaskView } from '../views.ts';

/**
 * Codes whose messages speak only of the caller's own input and objects. Every other code (host
 * offline/unreachable, no capacity, libvirt, storage, timeouts, internal) can name hosts, their
 * free memory or paths, which only admins may learn: others get USER_MESSAGE for the code, and
 * no libvirt details. Listing the safe codes, not the unsafe ones, keeps a new code private.
 */
const SAFE_FOR_USERS = new Set<ErrorCode>([
  'BAD_INPUT',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
  'BUSY',
  'INVALID_STATE',
  'QUOTA_EXCEEDED',
  'TICKET_INVALID',
  'TOO_MANY_REQUESTS',
  'PAYLOAD_TOO_LARGE',
  'CANCELLED',
]);

const USER_MESSAGE: Partial<Record<ErrorCode, string>> = {
  HOST_OFFLINE: 'The host this needs is offline right now. Try again later, or ask an administrator.',
  HOST_UNREACHABLE: 'The host this needs could not be reached. Try again later, or ask an administrator.',
  NO_HOST_CAPACITY:
    'There is not enough free capacity for this VM right now. Lower its memory, or ask an administrator.',
  SHUTDOWN_TIMEOUT: 'The VM did not shut down in time. Try again, or force it off.',
  TIMEOUT: 'The host did not answer in time. Try again later.',
};
const USER_FALLBACK = 'The operation failed on the server. An administrator can see the details.';

/** What a caller may read of an error: everything for admins, no host details for others. */
export function visibleMessage(code: ErrorCode | null, message: string, role: string | undefined): string {
  if (role === 'admin' || (code !== null && SAFE_FOR_USERS.has(code))) return message;
  return (code && USER_MESSAGE[code]) ?? USER_FALLBACK;
}

/** A task as this viewer may see it: a non-admin gets the error message for the code only. */
export function taskForViewer(task: TaskView, role: string): TaskView {
  if (role === 'admin' || task.errorMessage === null) return task;
  const code = (task.errorCode as ErrorCode | null) ?? null;
  return { ...task, errorMessage: visibleMessage(code, task.errorMessage, role) };
}
