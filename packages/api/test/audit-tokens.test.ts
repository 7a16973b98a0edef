// Audit entries' pure parts (redaction, the object acted on, CSV) and API token scope rules.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TRPCError } from '@trpc/server';
import { VireoError } from '@vireo/protocol';
import { MAX_TOKEN_DAYS, tokenExpiry, tokenScopeRefusal } from '../src/services/api-token-policy.ts';
import { csvField, csvLine } from '../src/services/audit/csv.ts';
import { objectOf } from '../src/services/audit/object.ts';
import { auditEntry, errorOf } from '../src/services/audit/record.ts';
import { auditInputJson, MAX_INPUT_CHARS, REDACTED, redact } from '../src/services/audit/redact.ts';

describe('redaction', () => {
  test('passwords, tokens and anything named like a secret are replaced', () => {
    const out = redact({
      username: 'alice',
      password: 'hunter2',
      newPassword: 'x',
      token: 't',
      apiKey: 'k',
      clientSecret: 's',
      nested: { credentials: { user: 'u' }, list: [{ passwd: 'p' }] },
      vmId: 'vm1',
    });
    assert.deepEqual(out, {
      username: 'alice',
      password: REDACTED,
      newPassword: REDACTED,
      token: REDACTED,
      apiKey: REDACTED,
      clientSecret: REDACTED,
      nested: { credentials: REDACTED, list: [{ passwd: REDACTED }] },
      vmId: 'vm1',
    });
  });

  test("fence options' password fields are redacted, in pairs and in option strings", () => {
    const json = auditInputJson({
      hostId: 'h1',
      fence: {
        agent: 'fence_ipmilan',
        options: [
          { name: 'ip', value: '10.0.0.9' },
          { name: 'password', value: 'ipmi-secret' },
          { name: 'passwd_script', value: '/bin/pw' },
        ],
        extra: 'ip=10.0.0.9 passwd=ipmi-secret2 lanplus=1',
      },
    });
    assert.ok(json);
    assert.ok(!json.includes('ipmi-secret'), json);
    assert.ok(json.includes('10.0.0.9') && json.includes('lanplus=1'));
  });

  test('the stored input is capped', () => {
    const json = auditInputJson({ names: Array.from({ length: 500 }, (_, i) => `vm-${i}-${'x'.repeat(150)}`) });
    assert.ok(json && json.length <= MAX_INPUT_CHARS + 40, String(json?.length));
    assert.equal(auditInputJson(undefined), null);
  });
});

describe('the object of a request', () => {
  test('the most specific id names it', () => {
    assert.deepEqual(objectOf('vm.start', { vmId: 'v1' }), { type: 'vm', id: 'v1', name: null });
    assert.deepEqual(objectOf('snapshot.delete', { vmId: 'v1', snapshotId: 's1' }), {
      type: 'snapshot',
      id: 's1',
      name: null,
    });
    assert.deepEqual(objectOf('host.setMaintenance', { hostId: 'h1' }).type, 'host');
    assert.deepEqual(objectOf('cluster.update', { clusterId: 'c1', name: 'prod' }), {
      type: 'cluster',
      id: 'c1',
      name: 'prod',
    });
    assert.deepEqual(objectOf('vm.migrate', { vmId: 'v1', hostId: 'h2' }).type, 'vm');
  });

  test('several VMs are counted; a created object is named by input or result', () => {
    assert.deepEqual(objectOf('bulk.start', { vmIds: ['a', 'b', 'c'] }), { type: 'vm', id: null, name: '3 VMs' });
    assert.deepEqual(objectOf('vm.create', { name: 'web-1' }, { id: 'v9', name: 'web-1' }), {
      type: 'vm',
      id: 'v9',
      name: 'web-1',
    });
    assert.deepEqual(objectOf('auth.logout', undefined), { type: null, id: null, name: null });
  });
});

describe('CSV', () => {
  test('quotes, commas and newlines are escaped; formulas defused', () => {
    assert.equal(csvField('plain'), 'plain');
    assert.equal(csvField('a,b'), '"a,b"');
    assert.equal(csvField('say "hi"'), '"say ""hi"""');
    assert.equal(csvField('two\nlines'), '"two\nlines"');
    assert.equal(csvField('=HYPERLINK("x")'), `"'=HYPERLINK(""x"")"`);
    assert.equal(csvField('-1'), "'-1");
    assert.equal(csvField(null), '');
    assert.equal(csvField(new Date('2026-12-02T15:00:00Z')), '2026-12-02T15:00:00.000Z');
    assert.equal(csvLine(['a', 1, true]), 'a,1,true\r\n');
  });
});

describe('API token scopes', () => {
  const read = { kind: 'token', tokenId: 't', scope: 'read' } as const;
  const write = { kind: 'token', tokenId: 't', scope: 'write' } as const;
  const session = { kind: 'session', sessionId: 's' } as const;
  test('a read token may query, not mutate; a write token and a session may do both', () => {
    assert.equal(tokenScopeRefusal(read, 'query'), null);
    assert.match(tokenScopeRefusal(read, 'mutation') ?? '', /read scope/);
    assert.equal(tokenScopeRefusal(write, 'mutation'), null);
    assert.equal(tokenScopeRefusal(session, 'mutation'), null);
  });

  test('expiry is required within 1 to 365 days', () => {
    const now = new Date('2026-12-02T00:00:00Z');
    assert.equal(tokenExpiry(30, now).toISOString(), '2027-01-01T00:00:00.000Z');
    assert.throws(() => tokenExpiry(0, now), RangeError);
    assert.throws(() => tokenExpiry(MAX_TOKEN_DAYS + 1, now), RangeError);
    assert.throws(() => tokenExpiry(1.5, now), RangeError);
  });
});

describe('audit entries', () => {
  test("a failure keeps the domain error's code and message; unknown errors are not leaked", () => {
    const domain = new TRPCError({
      code: 'CONFLICT',
      message: 'x',
      cause: new VireoError('CONFLICT', 'The VM is running.'),
    });
    assert.deepEqual(errorOf(domain), { code: 'CONFLICT', message: 'The VM is running.' });
    assert.deepEqual(errorOf(new Error('db password=123 leaked')), { code: 'INTERNAL', message: 'Internal error.' });
  });

  test('an entry names the actor, token, object and result, without the password', () => {
    const entry = auditEntry(
      { userId: 'u1', username: 'alice', auth: { kind: 'token', tokenId: 'tk' }, address: '10.0.0.5' },
      'user.resetPassword',
      { userId: 'u2', password: 'new-secret-pw' },
      { ok: false, error: new VireoError('FORBIDDEN', 'no') },
      12.6,
    );
    assert.equal(entry.authKind, 'token');
    assert.equal(entry.tokenId, 'tk');
    assert.equal(entry.objectType, 'user');
    assert.equal(entry.objectId, 'u2');
    assert.equal(entry.ok, false);
    assert.equal(entry.errorCode, 'FORBIDDEN');
    assert.equal(entry.durationMs, 12.6);
    assert.ok(!entry.input?.includes('new-secret-pw'));
  });
});

test('a refused input is recorded with what was wrong', async () => {
  const { z } = await import('zod');
  const parsed = z.object({ memoryMiB: z.number().min(64, 'at least 64 MiB') }).safeParse({ memoryMiB: 1 });
  assert.ok(!parsed.success);
  const err = new TRPCError({ code: 'BAD_REQUEST', cause: parsed.error });
  assert.deepEqual(errorOf(err), { code: 'BAD_INPUT', message: 'memoryMiB: at least 64 MiB' });
});
