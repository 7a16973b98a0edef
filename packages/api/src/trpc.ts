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
import { loadVmForUser } from './services/vm-access.ts';
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

const t = initTRPC.context<Context>().create({
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

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
export const publicProcedure = t.procedure.use(domainErrors);

export const authedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.user || !ctx.session) {
    throw new VireoError('UNAUTHORIZED', 'You are not logged in, or your session expired. Log in again.');
  }
  return next({ ctx: { ...ctx, user: ctx.user, session: ctx.session } });
});

export const adminProcedure = authedProcedure.use(({ ctx, next }) => {
  if (ctx.user.role !== 'admin') throw new VireoError('FORBIDDEN', 'This needs an administrator.');
  return next();
});

/** Loads the VM named by `input.vmId` and checks the user may act on it. */
export const vmProcedure = authedProcedure
  .input(z.object({ vmId: z.string().min(1).max(64) }))
  .use(async ({ ctx, input, next }) => {
    const vm = await loadVmForUser(input.vmId, ctx.user);
    return next({ ctx: { ...ctx, vm } });
  });
