// The audit middleware and the token rules on real procedures (trpc.ts), with a database the
// audit write cannot reach: results and errors pass through unchanged, the failure is logged.
import assert from 'node:assert/strict';
import { after, mock, test } from 'node:test';
import { TRPCError } from '@trpc/server';
import { VireoError } from '@vireo/protocol';
import type { Context } from '../src/context.ts';

process.env.DATABASE_URL = 'file:/nonexistent-vireo-audit-test/none.db';
const { authedProcedure, createCallerFactory, publicProcedure, router, sessionProcedure } = await import(
  '../src/trpc.ts'
);
const { closeDb } = await import('@vireo/db');
after(() => closeDb());

const { rule } = await import('../src/services/permissions/rules.ts');

const testRouter = router({
  ok: publicProcedure.meta(rule.public).mutation(() => ({ answer: 42 })),
  conflict: publicProcedure.meta(rule.public).mutation((): never => {
    throw new VireoError('CONFLICT', 'The VM is running.', { object: 'vm' });
  }),
  read: authedProcedure.meta(rule.self).query(({ ctx }) => ctx.user.username),
  write: authedProcedure.meta(rule.self).mutation(() => 'written'),
  sessionOnly: sessionProcedure.meta(rule.self).mutation(() => 'minted'),
});

type Ctx = Context;
const user = { id: 'u1', username: 'alice', role: 'user' as const };
const base = { client: { address: '10.0.0.9', secure: false }, cookie: () => undefined, setCookie: () => {} };
const caller = (ctx: Partial<Ctx>) =>
  createCallerFactory(testRouter)({ user: null, session: null, auth: null, ...base, ...ctx } as Ctx);
const readToken = { user, session: null, auth: { kind: 'token', tokenId: 't1', scope: 'read' } } as const;
const writeToken = { user, session: null, auth: { kind: 'token', tokenId: 't2', scope: 'write' } } as const;

test('a failed audit write changes neither the result nor the error, and is logged', async () => {
  const logged = mock.method(console, 'error', () => {});
  try {
    assert.deepEqual(await caller({}).ok(), { answer: 42 });
    const err = await caller({})
      .conflict()
      .then(
        () => assert.fail('expected CONFLICT'),
        (e: unknown) => e,
      );
    assert.ok(err instanceof TRPCError);
    assert.equal(err.code, 'CONFLICT');
    assert.ok(err.cause instanceof VireoError && err.cause.message === 'The VM is running.');
    assert.ok(
      logged.mock.calls.some((c) => String(c.arguments[0]).startsWith('[audit]')),
      'the failed write is logged',
    );
  } finally {
    logged.mock.restore();
  }
});

test('a read token queries but may not mutate; a write token mutates; no token reaches a session-only procedure', async () => {
  const quiet = mock.method(console, 'error', () => {});
  try {
    assert.equal(await caller(readToken).read(), 'alice');
    await assert.rejects(
      caller(readToken).write(),
      (e: TRPCError) => e.code === 'FORBIDDEN' && /read scope/.test(e.message),
    );
    assert.equal(await caller(writeToken).write(), 'written');
    await assert.rejects(caller(writeToken).sessionOnly(), (e: TRPCError) => e.code === 'FORBIDDEN');
    const session = { user, session: { id: 's1' }, auth: { kind: 'session', sessionId: 's1' } } as const;
    assert.equal(await caller(session).sessionOnly(), 'minted');
    await assert.rejects(caller({}).read(), (e: TRPCError) => e.code === 'UNAUTHORIZED');
  } finally {
    quiet.mock.restore();
  }
});
