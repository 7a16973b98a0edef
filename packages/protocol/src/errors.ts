/**
 * Stable error codes shared by agent, manager and browser. Code, not message text, is what
 * callers branch on; the message is for humans and says what to do.
 */
export const ERROR_CODES = [
  'BAD_INPUT',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'VM_NOT_FOUND',
  'VM_NAME_TAKEN',
  'VM_BUSY',
  'VM_INVALID_STATE',
  'TEMPLATE_NOT_FOUND',
  'HOST_NOT_FOUND',
  'HOST_OFFLINE',
  'HOST_UNREACHABLE',
  'NO_HOST_CAPACITY',
  'QUOTA_EXCEEDED',
  'LIBVIRT_ERROR',
  'SHUTDOWN_TIMEOUT',
  'TICKET_INVALID',
  'TIMEOUT',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorPayload {
  code: ErrorCode;
  message: string;
  /** libvirt's own error code and message when libvirt refused, kept verbatim. */
  libvirt?: { code?: number; message: string } | undefined;
}

export class VireoError extends Error {
  readonly code: ErrorCode;
  readonly libvirt: ErrorPayload['libvirt'];

  constructor(code: ErrorCode, message: string, libvirt?: ErrorPayload['libvirt']) {
    super(message);
    this.name = 'VireoError';
    this.code = code;
    this.libvirt = libvirt;
  }

  static is(err: unknown, code?: ErrorCode): err is VireoError {
    return err instanceof VireoError && (code === undefined || err.code === code);
  }

  toPayload(): ErrorPayload {
    return { code: this.code, message: this.message, libvirt: this.libvirt };
  }

  static fromPayload(p: ErrorPayload): VireoError {
    return new VireoError(p.code, p.message, p.libvirt);
  }
}

/** Anything thrown becomes a payload; unknown errors keep their message under INTERNAL. */
export function toErrorPayload(err: unknown): ErrorPayload {
  if (err instanceof VireoError) return err.toPayload();
  return { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) };
}
