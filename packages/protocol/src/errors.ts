/**
 * Stable error codes shared by agent, manager and browser. Code, not message text, is what
 * callers branch on; the message is for humans and says what to do.
 *
 * Codes are generic and carry the kind of object they are about (`NOT_FOUND` + `object: 'vm'`),
 * as xen-orchestra's `noSuchObject` does, so a new kind of object needs no new code.
 * `BAD_INPUT` is only for input that fails validation.
 */
export const ERROR_CODES = [
  'BAD_INPUT',
  'UNAUTHORIZED',
  'FORBIDDEN',
  /** The object does not exist (or is not the caller's to see). */
  'NOT_FOUND',
  /** Another object already has this name/identity, or two hosts claim one VM. */
  'CONFLICT',
  /** The object is busy with another operation; retry when it finishes. */
  'BUSY',
  /** The object's state does not allow the operation. */
  'INVALID_STATE',
  'HOST_OFFLINE',
  'HOST_UNREACHABLE',
  'NO_HOST_CAPACITY',
  'QUOTA_EXCEEDED',
  'LIBVIRT_ERROR',
  /** The disk or filesystem is full (ENOSPC, EDQUOT). */
  'STORAGE_NO_SPACE',
  /** The OS refused access to a file (EACCES, EPERM, EROFS). */
  'STORAGE_PERMISSION_DENIED',
  /** Any other storage failure, with the OS's reason. */
  'STORAGE_ERROR',
  'SHUTDOWN_TIMEOUT',
  'TICKET_INVALID',
  'TIMEOUT',
  /**
   * The host may or may not have done it (libvirt dropped mid-call, the outcome could not be
   * read back): the manager must treat the object as unknown until the host's state says.
   */
  'OUTCOME_UNKNOWN',
  'TOO_MANY_REQUESTS',
  'PAYLOAD_TOO_LARGE',
  'INTERNAL',
  /** Someone cancelled the operation; what it had made was removed. */
  'CANCELLED',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** The kinds of object an error can be about. */
export const OBJECT_TYPES = [
  'vm',
  'host',
  'template',
  'user',
  'task',
  'session',
  'enrollmentToken',
  /** A personal API token (scripts). */
  'apiToken',
  'disk',
  'cluster',
  'datacenter',
  /** A libvirt storage pool. */
  'pool',
  /** A volume in a storage pool. */
  'volume',
  /** An image being uploaded or imported into a pool. */
  'image',
  'network',
  'securityGroup',
  /** A tenant (issue 10). */
  'project',
  /** A role granted on a scope. */
  'roleBinding',
  /** The whole installation, as a permission scope. */
  'system',
  /** A VM snapshot. */
  'snapshot',
  /** A placement rule: VMs kept together or apart. */
  'affinityGroup',
] as const;
export type ObjectType = (typeof OBJECT_TYPES)[number];

export interface ErrorPayload {
  code: ErrorCode;
  message: string;
  /** What the error is about, for codes that concern an object. */
  object?: ObjectType | undefined;
  /** libvirt's own error code and message when libvirt refused, kept verbatim. */
  libvirt?: { code?: number; message: string } | undefined;
  /** Machine-readable facts about this error callers branch on (ha.restart: `{ locked: true }`). */
  details?: Record<string, string | number | boolean> | undefined;
}

export interface VireoErrorOptions {
  object?: ObjectType | undefined;
  libvirt?: ErrorPayload['libvirt'];
  details?: ErrorPayload['details'];
}

export class VireoError extends Error {
  readonly code: ErrorCode;
  readonly object: ObjectType | undefined;
  readonly libvirt: ErrorPayload['libvirt'];
  readonly details: ErrorPayload['details'];

  constructor(code: ErrorCode, message: string, opts: VireoErrorOptions = {}) {
    super(message);
    this.name = 'VireoError';
    this.code = code;
    this.object = opts.object;
    this.libvirt = opts.libvirt;
    this.details = opts.details;
  }

  /** `VireoError.is(err, 'NOT_FOUND', 'vm')`: the code, and the object kind when given. */
  static is(err: unknown, code?: ErrorCode, object?: ObjectType): err is VireoError {
    return (
      err instanceof VireoError &&
      (code === undefined || err.code === code) &&
      (object === undefined || err.object === object)
    );
  }

  toPayload(): ErrorPayload {
    return {
      code: this.code,
      message: this.message,
      object: this.object,
      libvirt: this.libvirt,
      ...(this.details ? { details: this.details } : {}),
    };
  }

  static fromPayload(p: ErrorPayload): VireoError {
    return new VireoError(p.code, p.message, { object: p.object, libvirt: p.libvirt, details: p.details });
  }
}

/** Anything thrown becomes a payload; unknown errors keep their message under INTERNAL. */
export function toErrorPayload(err: unknown): ErrorPayload {
  if (err instanceof VireoError) return err.toPayload();
  return { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) };
}
