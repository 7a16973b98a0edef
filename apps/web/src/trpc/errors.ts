/**
 * Reading errors that come back from the API. The server's error formatter puts a stable code in
 * `data.vireoCode` and, for libvirt refusals, libvirt's own words in `data.libvirt.message`.
 * We branch on the code, never on message text; the message is shown as is.
 */
import { TRPCClientError } from '@trpc/client';

export interface ErrorInfo {
  message: string;
  code: string | null;
  /** libvirt's message when the code is LIBVIRT_ERROR. */
  libvirt: string | null;
}

interface ErrorData {
  code?: string;
  httpStatus?: number;
  vireoCode?: string | null;
  libvirt?: { message?: string } | null;
}

function dataOf(err: unknown): ErrorData | null {
  if (!(err instanceof TRPCClientError)) return null;
  const data: unknown = err.data;
  return data && typeof data === 'object' ? (data as ErrorData) : null;
}

export function errorInfo(err: unknown): ErrorInfo {
  const data = dataOf(err);
  const message = err instanceof Error ? err.message : String(err);
  return {
    message: message || 'Something went wrong.',
    code: data?.vireoCode ?? null,
    libvirt: data?.libvirt?.message ?? null,
  };
}

export function isUnauthorized(err: unknown): boolean {
  const data = dataOf(err);
  return data?.vireoCode === 'UNAUTHORIZED' || data?.code === 'UNAUTHORIZED';
}

/** 4xx-like failures will fail again; retrying them only delays the message. */
export function isClientError(err: unknown): boolean {
  const status = dataOf(err)?.httpStatus;
  return typeof status === 'number' && status >= 400 && status < 500;
}
