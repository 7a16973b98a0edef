// The audit log (append-only: insert, search, export) and API tokens (hash-only, expiry,
// revocation, disabled users), on the database the run chose.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { sqlitePath } from '../src/database-url.ts';
import { psql, setupTestDb, testProvider } from './helpers.ts';

const { db, url, teardown } = await setupTestDb();
const { audit, apiTokens, users, hashToken } = db;
after(teardown);

const base = {
  userId: null,
  username: 'alice',
  authKind: 'session' as const,
  tokenId: null,
  objectType: 'vm',
  objectId: 'vm1',
  objectName: 'web-1',
  address: '10.0.0.1',
  ok: true,
  errorCode: null,
  message: null,
  durationMs: 3,
  input: '{"vmId":"vm1"}',
};

test('the audit module offers no way to change or remove an entry', () => {
  assert.deepEqual(
    Object.keys(audit)
      .filter((k) => typeof (audit as Record<string, unknown>)[k] === 'function')
      .sort(),
    ['exportRows', 'insert', 'search'],
  );
});

test('search filters by user, action prefix, object, result and time, newest first, paged', async () => {
  const t0 = Date.now();
  for (let i = 0; i < 30; i++) {
    await audit.insert({
      ...base,
      username: i % 3 === 0 ? 'bob' : 'alice',
      action: i % 2 ? 'vm.start' : 'host.setMaintenance',
      objectId: i % 2 ? 'vm1' : 'host7',
      objectName: i % 2 ? 'web-1' : 'kvm-7',
      ok: i % 5 !== 0,
      errorCode: i % 5 === 0 ? 'CONFLICT' : null,
      message: i % 5 === 0 ? `refused ${i}` : null,
    });
  }
  const all = await audit.search({}, { limit: 200 });
  assert.equal(all.entries.length, 30);
  for (let i = 1; i < all.entries.length; i++) {
    const [a, b] = [all.entries[i - 1], all.entries[i]];
    assert.ok(a && b && (a.at > b.at || (a.at.getTime() === b.at.getTime() && a.id > b.id)), 'newest first');
  }
  assert.equal((await audit.search({ username: 'bob' }, { limit: 200 })).entries.length, 10);
  assert.equal((await audit.search({ actionPrefix: 'vm.' }, { limit: 200 })).entries.length, 15);
  assert.equal((await audit.search({ actionPrefix: 'host.' }, { limit: 200 })).entries.length, 15);
  assert.equal((await audit.search({ object: 'kvm-7' }, { limit: 200 })).entries.length, 15);
  assert.equal((await audit.search({ object: 'vm1' }, { limit: 200 })).entries.length, 15);
  const failed = await audit.search({ ok: false }, { limit: 200 });
  assert.equal(failed.entries.length, 6);
  assert.ok(failed.entries.every((e) => e.errorCode === 'CONFLICT' && e.message?.startsWith('refused')));
  assert.equal((await audit.search({ from: new Date(Date.now() + 60_000) })).entries.length, 0);
  assert.equal(
    (await audit.search({ from: new Date(t0 - 60_000), to: new Date(Date.now() + 1000) }, { limit: 200 })).entries
      .length,
    30,
  );

  // Paging: 7 + 7 + ... covers every row once.
  const seen = new Set<string>();
  let before: import('../src/audit.ts').AuditCursor | undefined;
  for (;;) {
    const page = await audit.search({}, { limit: 7, before });
    for (const e of page.entries) seen.add(e.id);
    if (!page.next) break;
    before = page.next;
  }
  assert.equal(seen.size, 30);

  let exported = 0;
  for await (const batch of audit.exportRows({ actionPrefix: 'vm.' })) exported += batch.length;
  assert.equal(exported, 15);
  let capped = 0;
  for await (const batch of audit.exportRows({}, 11)) capped += batch.length;
  assert.equal(capped, 11);
});

test('over-long fields are cut, not refused', async () => {
  await audit.insert({ ...base, action: 'x.long', message: 'm'.repeat(5000), objectName: 'n'.repeat(1000) });
  const [e] = (await audit.search({ actionPrefix: 'x.long' })).entries;
  assert.ok(e && (e.message?.length ?? 0) <= 1000 && (e.objectName?.length ?? 0) <= 256);
});

test('API tokens: shown once, stored hashed, expire, revoke, and die with a disabled user', async () => {
  const user = await users.create({ username: 'scripter', password: 'password-1', role: 'user' });
  const { token, view } = await apiTokens.create({
    userId: user.id,
    name: 'backup script',
    scope: 'read',
    expiresAt: new Date(Date.now() + 86_400_000),
  });
  assert.match(token, /^vireo_pat_[A-Za-z0-9_-]{43}$/);
  assert.equal(view.id, hashToken(token), 'only the hash is stored');
  assert.equal(view.prefix, token.slice(0, 14));
  assert.equal(view.username, 'scripter');

  const found = await apiTokens.findValid(token);
  assert.equal(found?.user.id, user.id);
  assert.equal(found?.scope, 'read');
  const used = (await apiTokens.byId(view.id))?.lastUsedAt;
  assert.ok(used, 'marked used');
  await apiTokens.findValid(token, new Date(used.getTime() + 10_000));
  assert.equal((await apiTokens.byId(view.id))?.lastUsedAt?.getTime(), used.getTime(), 'not rewritten within a minute');
  await apiTokens.findValid(token, new Date(used.getTime() + 61_000));
  assert.equal((await apiTokens.byId(view.id))?.lastUsedAt?.getTime(), used.getTime() + 61_000);

  assert.equal(await apiTokens.findValid(`${token}x`), null, 'unknown');
  assert.equal(await apiTokens.findValid(token, new Date(Date.now() + 2 * 86_400_000)), null, 'expired');

  await users.setDisabled(user.id, true);
  assert.equal(await apiTokens.findValid(token), null, 'disabled user');
  await users.setDisabled(user.id, false);
  assert.ok(await apiTokens.findValid(token));

  assert.equal(await apiTokens.revoke(view.id), true);
  assert.equal(await apiTokens.revoke(view.id), false, 'revoking twice is a no-op');
  assert.equal(await apiTokens.findValid(token), null, 'revoked');
  const listed = await apiTokens.list(user.id);
  assert.equal(listed.length, 1);
  assert.ok(listed[0]?.revokedAt);
  assert.ok((await apiTokens.list()).length >= 1);
});

/**
 * 100 000 rows written straight into the database (Prisma's createMany takes over a minute for
 * them): in one SQLite transaction, or one PostgreSQL INSERT … SELECT over generate_series.
 * Every fifth user, sixth action, 2 000th object; one in 97 failed; 25 s apart over 29 days.
 */
async function seedAudit(t0: number): Promise<void> {
  const USERS = ['alice', 'bob', 'carol', 'dave', 'erin'];
  const ACTIONS = ['vm.start', 'vm.shutdown', 'vm.migrate', 'host.setMaintenance', 'template.create', 'auth.login'];
  if (testProvider === 'sqlite') {
    const sqlite = new Database(sqlitePath(url));
    const insert = sqlite.prepare(
      `INSERT INTO "AuditEntry" ("id","at","username","authKind","action","objectType","objectId","objectName","address","ok","durationMs")
       VALUES (?,?,?,'session',?,'vm',?,?,'10.0.0.1',?,3)`,
    );
    sqlite.transaction(() => {
      for (let i = 0; i < 100_000; i++) {
        // Prisma's own text form of a DateTime on SQLite.
        const at = new Date(t0 + i * 25_000).toISOString().replace('Z', '+00:00');
        insert.run(`seed${i}`, at, USERS[i % 5], ACTIONS[i % 6], `vm${i % 2000}`, `web-${i % 2000}`, i % 97 ? 1 : 0);
      }
    })();
    sqlite.close();
    return;
  }
  const list = (xs: string[]) => `ARRAY[${xs.map((x) => `'${x}'`).join(',')}]`;
  psql(
    `INSERT INTO "AuditEntry" ("id","at","username","authKind","action","objectType","objectId","objectName","address","ok","durationMs")
     SELECT 'seed' || i, to_timestamp(${t0 / 1000} + i * 25) AT TIME ZONE 'UTC', (${list(USERS)})[i % 5 + 1], 'session',
            (${list(ACTIONS)})[i % 6 + 1], 'vm', 'vm' || (i % 2000), 'web-' || (i % 2000), '10.0.0.1', i % 97 <> 0, 3
     FROM generate_series(0, 99999) AS i`,
    url,
  );
}

test('searches stay fast on 100 000 entries', async () => {
  const day = 86_400_000;
  const t0 = Math.floor((Date.now() - 30 * day) / 1000) * 1000;
  await seedAudit(t0);
  const seeded = await audit.search({ from: new Date(t0), to: new Date(t0 + 100_000 * 25_000) }, { limit: 1 });
  assert.equal(seeded.entries[0]?.at.getTime(), t0 + 99_999 * 25_000, 'the seeded times read back exactly');
  const timed = async (filter: Parameters<typeof audit.search>[0]) => {
    const started = performance.now();
    const page = await audit.search(filter, { limit: 100 });
    const ms = performance.now() - started;
    assert.ok(page.entries.length > 0, JSON.stringify(filter));
    return ms;
  };
  const filters: Parameters<typeof audit.search>[0][] = [
    {},
    { username: 'carol' },
    { actionPrefix: 'host.' },
    { object: 'web-1234' },
    { object: 'vm777' },
    { ok: false },
    { from: new Date(t0 + 10 * day), to: new Date(t0 + 11 * day) },
    { username: 'bob', ok: false },
  ];
  for (const f of filters) {
    const ms = await timed(f);
    // Generous for a loaded CI machine; a full scan with sorting takes far longer on either engine.
    assert.ok(ms < 1500, `${JSON.stringify(f)} took ${Math.round(ms)} ms`);
  }
});
