/**
 * Writes audit entries. A failed write is logged and never fails (or changes) the request it
 * describes: the audit log is a record of what happened, not a gate in front of it.
 */
import { type AuditInput, audit } from '@vireo/db';
import { VireoError } from '@vireo/protocol';
import { TRPCError } from '@trpc/server';
import { ZodError } from 'zod';
import { auditInputJson } from './redact.ts';
import { objectOf } from './object.ts';
import { lookUpName } from './object-name.ts';

export interface AuditActor {
  userId: string | null;
  username: string | null;
  /** How they authenticated (a session's id is not recorded). */
  auth: { kind: 'session' } | { kind: 'token'; tokenId: string } | null;
  address: string;
}

/** The stable code and human message of an error, as the caller saw them. */
export function errorOf(err: unknown): { code: string; message: string } {
  const cause = err instanceof TRPCError && err.cause instanceof VireoError ? err.cause : err;
  if (cause instanceof VireoError) return { code: cause.code, message: cause.message };
  if (err instanceof TRPCError) {
    if (err.cause instanceof ZodError)
      return {
        code: 'BAD_INPUT',
        message: err.cause.issues
          .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
          .join(' '),
      };
    return { code: err.code, message: err.code === 'INTERNAL_SERVER_ERROR' ? 'Internal error.' : err.message };
  }
  return { code: 'INTERNAL', message: 'Internal error.' };
}

export function auditEntry(
  actor: AuditActor,
  action: string,
  input: unknown,
  outcome: { ok: true; data?: unknown } | { ok: false; error: unknown },
  durationMs: number,
): AuditInput {
  const object = objectOf(action, input, outcome.ok ? outcome.data : undefined);
  const error = outcome.ok ? null : errorOf(outcome.error);
  return {
    userId: actor.userId,
    username: actor.username,
    authKind: actor.auth?.kind ?? null,
    tokenId: actor.auth?.kind === 'token' ? actor.auth.tokenId : null,
    action,
    objectType: object.type,
    objectId: object.id,
    objectName: object.name,
    address: actor.address,
    ok: outcome.ok,
    errorCode: error?.code ?? null,
    message: error?.message ?? null,
    durationMs,
    input: auditInputJson(input),
  };
}

/**
 * Inserts the entry, naming its object first when only the id is known; on failure logs it
 * (with the entry, which holds no secrets) and returns.
 */
export async function recordAudit(entry: AuditInput): Promise<void> {
  try {
    const objectName = entry.objectName ?? (await lookUpName(entry.objectType, entry.objectId));
    await audit.insert({ ...entry, objectName });
  } catch (err) {
    console.error('[audit] could not record an entry:', JSON.stringify({ ...entry, input: undefined }), err);
  }
}
