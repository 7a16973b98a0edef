/**
 * tRPC setup: context, the one place domain errors become tRPC errors, and the procedure
 * builders (public, authed, admin, vm: loads and authorises the VM once as ctx.vm).
 */
import { initTRPC, TRPCError } from '@trpc/server';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';
import { type ErrorCode, VireoError } from '@vireo/protocol';
import { z } from 'zod';
import type { Context } from './context.ts';
import { managerEnv } from './env.ts';
import { type AuditActor, auditEntry, recordAudit } from './services/audit/record.ts';
import { tokenScopeRefusal } from './services/api-token-policy.ts';
import { checkRule, type Meta } from './services/permissions/rules.ts';
import { loadVm } from './services/vm-access.ts';
import { visibleMessage } from './services/visibility.ts';

const TRPC_CODE_FOR: Record<ErrorCode, TRPC_ERROR_CODE_KEY> = {
  BAD_INPUT: 'BAD_REQUEST',
  UNAUTHORIZED: 'UNAUTHORIZED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  BUSY: 'CONFLICT',
  INVALID_STATE: 'PRECONDITION_FAILED',
  HOST_OFFLINE: 'PRECONDITION_FAILED',
  HOST_UNREACHABLE: 'PRECONDITION_FAILED',
  NO_HOST_CAPACITY: 'PRECONDITION_FAILED',
  QUOTA_EXCEEDED: 'FORBIDDEN',
  LIBVIRT_ERROR: 'INTERNAL_SERVER_ERROR',
  SHUTDOWN_TIMEOUT: 'TIMEOUT',
  TICKET_INVALID: 'FORBIDDEN',
  TIMEOUT: 'TIMEOUT',
  OUTCOME_UNKNOWN: 'INTERNAL_SERVER_ERROR',
  STORAGE_NO_SPACE: 'INTERNAL_SERVER_ERROR',
  STORAGE_PERMISSION_DENIED: 'INTERNAL_SERVER_ERROR',
  STORAGE_ERROR: 'INTERNAL_SERVER_ERROR',
  TOO_MANY_REQUESTS: 'TOO_MANY_REQUESTS',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  INTERNAL: 'INTERNAL_SERVER_ERROR',
  CANCELLED: 'CLIENT_CLOSED_REQUEST',
};

/** Readable text for a zod failure: "memoryMiB: Memory must be at least 64 MiB." */
function describeZodError(error: z.ZodError): string {
  return error.issues
    .map((issue) => (issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join(' ');
}

const t = initTRPC
  .context<Context>()
  .meta<Meta>()
  .create({
    // Stack traces stay on the server unless a developer runs the manager in development mode.
    isDev: managerEnv().NODE_ENV === 'development',
    sse: { ping: { enabled: true, intervalMs: 10_000 }, client: { reconnectAfterInactivityMs: 25_000 } },
    errorFormatter({ shape, error, ctx }) {
      const cause = error.cause;
      const role = ctx?.user?.role;
      if (cause instanceof z.ZodError) {
        return { ...shape, message: describeZodError(cause), data: { ...shape.data, vireoCode: 'BAD_INPUT' } };
      }
      if (cause instanceof VireoError) {
        const shown = visibleMessage(cause.code, cause.message, role);
        return {
          ...shape,
          message: shown,
          data: {
            ...shape.data,
            vireoCode: cause.code,
            vireoObject: cause.object ?? null,
            libvirt: shown === cause.message ? (cause.libvirt ?? null) : null,
          },
        };
      }
      // tRPC's own errors (bad path, bad batch, parse errors) are safe; anything else thrown is not.
      const own = error.code !== 'INTERNAL_SERVER_ERROR';
      return {
        ...shape,
        message: own ? shape.message : visibleMessage(null, shape.message, role),
        data: { ...shape.data, vireoCode: null },
      };
    },
  });

/** Turns domain errors into tRPC errors, once, for every procedure. */
const domainErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.cause instanceof VireoError) {
    const cause = result.error.cause;
    throw new TRPCError({ code: TRPC_CODE_FOR[cause.code], message: cause.message, cause });
  }
  return result;
});

/** Who a login was for: the user it logged in, or the username that was tried. */
function loginActor(input: unknown, data: unknown): Omit<AuditActor, 'address'> {
  const user = data as { id?: string; username?: string } | null;
  if (user?.id) return { userId: user.id, username: user.username ?? null, auth: { kind: 'session' } };
  const tried = (input as { username?: unknown } | undefined)?.username;
  return { userId: null, username: typeof tried === 'string' ? tried.trim().slice(0, 64) : null, auth: null };
}

/** Mutations only by transport: they change what a browser tab is sent, nothing in Vireo. */
const NOT_AUDITED = new Set(['live.watchStats']);

/**
 * Every mutation leaves an audit entry (services/audit): who, what, object, from where, the
 * result and how long it took. Outermost, so it sees the error exactly as the caller gets it;
 * it returns `next()`'s result untouched, and a failed audit write is only logged.
 */
const auditMutations = t.middleware(async ({ ctx, type, path, getRawInput, next }) => {
  if (type !== 'mutation' || NOT_AUDITED.has(path) || ctx.permissionProbe) return next();
  const started = performance.now();
  const result = await next();
  try {
    const input = await getRawInput().catch(() => undefined);
    // A login has no user yet: the one it logged in, or the name that was tried.
    // (Even when the browser already had a session: the entry is about the account tried.)
    const actor =
      path === 'auth.login' || path === 'auth.loginCode'
        ? loginActor(input, result.ok ? result.data : null)
        : { userId: ctx.user?.id ?? null, username: ctx.user?.username ?? null, auth: ctx.auth };
    const entry = auditEntry(
      { ...actor, address: ctx.client.address },
      path,
      input,
      result.ok ? { ok: true, data: result.data } : { ok: false, error: result.error },
      performance.now() - started,
    );
    await recordAudit(entry);
  } catch (err) {
    console.error('[audit] could not describe a mutation:', path, err);
  }
  return result;
});

/** What a probe call returns when the permission rule allowed it (see Context.permissionProbe). */
export const PROBE_ALLOWED = 'vireo:permission-probe:allowed';

/**
 * The one permission check (issue 10): every procedure's meta declares its rule
 * (services/permissions/rules.ts); this enforces it before input validation, reading the
 * object's id from the raw input, so a denied call reaches neither validation nor the handler.
 * A procedure without a rule is refused. In probe mode an allowed call stops here.
 */
/** A script whose token no longer works is told so, not asked to log in (it has no session). */
const TOKEN_REFUSED =
  'This API token is unknown, revoked or expired, or its user is disabled. Make a new one under Account → API tokens.';

const permissions = t.middleware(async ({ ctx, meta, path, getRawInput, next }) => {
  if (!ctx.user && ctx.bearerRefused && meta?.perm !== 'public') throw new VireoError('UNAUTHORIZED', TOKEN_REFUSED);
  await checkRule(path, meta?.perm, ctx.user, getRawInput);
  if (ctx.permissionProbe) {
    // A middleware may answer for the procedure; tRPC only reads `ok` and `data` of the result.
    return { ok: true, data: PROBE_ALLOWED } as unknown as Awaited<ReturnType<typeof next>>;
  }
  return next();
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
/** Declare the rule with `.meta(rule.public)` (services/permissions/rules.ts). */
export const publicProcedure = t.procedure.use(auditMutations).use(domainErrors).use(permissions);

/**
 * A signed-in user, by session or API token. A token's scope is checked here, once: a `read`
 * token may run queries only.
 */
export const authedProcedure = publicProcedure.use(({ ctx, type, next }) => {
  if (!ctx.user || !ctx.auth) {
    throw new VireoError('UNAUTHORIZED', 'You are not logged in, or your session expired. Log in again.');
  }
  const refusal = tokenScopeRefusal(ctx.auth, type);
  if (refusal) throw new VireoError('FORBIDDEN', refusal);
  return next({ ctx: { ...ctx, user: ctx.user, auth: ctx.auth } });
});

/**
 * A browser session, not an API token: logout, console tickets, live streams, and everything
 * that grants access (API tokens, users, passwords), so a leaked token cannot mint more access.
 */
export const sessionProcedure = authedProcedure.use(({ ctx, next }) => {
  if (!ctx.session)
    throw new VireoError('FORBIDDEN', 'This needs a signed-in browser session; API tokens may not do it.');
  return next({ ctx: { ...ctx, session: ctx.session } });
});

/** 'manage' on the system (administrators); a procedure may narrow it with its own `.meta(...)`. */
export const adminProcedure = authedProcedure.meta({ perm: { action: 'manage', object: 'system' } });

/** An administrator in a browser session (user management): not through an API token. */
export const sessionAdminProcedure = sessionProcedure.meta({ perm: { action: 'manage', object: 'system' } });

/**
 * Loads the VM named by `input.vmId` once, as ctx.vm. Each procedure declares which action it
 * needs on the VM (`.meta(rule.vm('view'))`); the permission middleware checked it already.
 */
export const vmProcedure = authedProcedure
  .input(z.object({ vmId: z.string().min(1).max(64) }))
  .use(async ({ ctx, input, next }) => {
    const vm = await loadVm(input.vmId);
    return next({ ctx: { ...ctx, vm } });
  });
