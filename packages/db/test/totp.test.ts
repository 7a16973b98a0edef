// The TOTP repository (issue 10) against a migrated database (SQLite or PostgreSQL, see helpers.ts):
// enrolment only with the pending secret, a step accepted once, recovery codes spent once, and
// turning it off forgets everything.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { setupTestDb } from './helpers.ts';

const { db, teardown } = await setupTestDb();
const { totp, users, hashToken } = db;
after(teardown);

const SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

describe('totp repository', () => {
  test('enrolment, replay refusal, recovery codes once, off', async () => {
    const user = await users.create({ username: 'totp-a', password: 'password-a', role: 'user' });
    assert.deepEqual(await totp.state(user.id), {
      secret: null,
      enabledAt: null,
      lastStep: null,
      recoveryCodesLeft: 0,
    });
    assert.equal(await totp.begin(user.id, SECRET), true);
    // A secret other than the pending one is not switched on.
    assert.equal(await totp.enable(user.id, 'OTHERSECRET', 100, []), false);
    const hashes = ['c1', 'c2', 'c3'].map(hashToken);
    assert.equal(await totp.enable(user.id, SECRET, 100, hashes), true);
    const on = await totp.state(user.id);
    assert.ok(on?.enabledAt);
    assert.equal(on.lastStep, 100);
    assert.equal(on.recoveryCodesLeft, 3);
    // Starting again while on must not replace the live secret.
    assert.equal(await totp.begin(user.id, 'ANOTHER'), false);
    assert.equal((await totp.state(user.id))?.secret, SECRET);

    assert.equal(await totp.acceptStep(user.id, 100), false, 'the enrolment code cannot log in again');
    assert.equal(await totp.acceptStep(user.id, 99), false, 'an older step is refused');
    assert.equal(await totp.acceptStep(user.id, 101), true);
    // Two racing uses of the same code: exactly one wins.
    const race = await Promise.all([totp.acceptStep(user.id, 102), totp.acceptStep(user.id, 102)]);
    assert.deepEqual(race.sort(), [false, true]);

    assert.equal(await totp.useRecoveryCode(user.id, hashToken('c2')), true);
    assert.equal(await totp.useRecoveryCode(user.id, hashToken('c2')), false, 'a recovery code works once');
    assert.equal(await totp.useRecoveryCode(user.id, hashToken('nope')), false);
    assert.equal((await totp.state(user.id))?.recoveryCodesLeft, 2);

    const listed = (await users.listWithCounts()).find((u) => u.id === user.id);
    assert.equal(listed?.totpEnabled, true);

    assert.equal(await totp.disable(user.id), true);
    assert.deepEqual(await totp.state(user.id), {
      secret: null,
      enabledAt: null,
      lastStep: null,
      recoveryCodesLeft: 0,
    });
    assert.equal(await totp.disable(user.id), false);
    assert.equal(await totp.useRecoveryCode(user.id, hashToken('c1')), false);
    assert.equal(await totp.acceptStep(user.id, 200), false);
  });

  test("one user's recovery code is not another's", async () => {
    const a = await users.create({ username: 'totp-b', password: 'password-b', role: 'user' });
    const b = await users.create({ username: 'totp-c', password: 'password-c', role: 'user' });
    for (const u of [a, b]) {
      await totp.begin(u.id, SECRET);
      await totp.enable(u.id, SECRET, 1, [hashToken(`${u.id}-code`)]);
    }
    assert.equal(await totp.useRecoveryCode(b.id, hashToken(`${a.id}-code`)), false);
    assert.equal(await totp.useRecoveryCode(a.id, hashToken(`${a.id}-code`)), true);
  });
});
