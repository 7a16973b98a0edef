/**
 * User administration through the API: disabling ends sessions and refuses login, a password
 * reset ends the old sessions, delete is refused while the user owns VMs and works with
 * reassignment, and the last enabled admin cannot demote, disable or delete themselves.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { admin, createTestVm, loginAs, rejection, uniqueName, waitTask } from '../support/api.ts';

type Client = Awaited<ReturnType<typeof admin>>;
let root: Client;

async function newUser(role: 'admin' | 'user' = 'user') {
  const username = uniqueName('u').toLowerCase();
  const password = 'first-password-1';
  const user = await root.api.user.create.mutate({ username, password, role });
  return { ...user, password };
}

/** True while the client's session is accepted by an authed procedure. */
async function sessionWorks(client: Client): Promise<boolean> {
  try {
    await client.api.vm.list.query();
    return true;
  } catch (err) {
    const { code } = await rejection(Promise.reject(err));
    assert.equal(code, 'UNAUTHORIZED');
    return false;
  }
}

before(async () => {
  root = await admin();
});

test('disable: the session ends at once and login is refused with a clear message; enable again', async () => {
  const u = await newUser();
  const client = await loginAs(u.username, u.password);
  assert.equal(await sessionWorks(client), true);

  await root.api.user.setDisabled.mutate({ userId: u.id, disabled: true });
  assert.equal(await sessionWorks(client), false, 'the open session is rejected');
  const refused = await rejection(loginAs(u.username, u.password));
  assert.equal(refused.code, 'FORBIDDEN');
  assert.match(refused.message, /disabled/);
  assert.equal((await root.api.user.list.query()).find((x) => x.id === u.id)?.disabled, true);
  // A wrong password still says only "wrong": being disabled is not revealed to a guesser.
  assert.equal((await rejection(loginAs(u.username, 'not-the-password'))).code, 'UNAUTHORIZED');

  await root.api.user.setDisabled.mutate({ userId: u.id, disabled: false });
  assert.equal(await sessionWorks(await loginAs(u.username, u.password)), true);
});

test('reset password: old sessions rejected, old password refused, new one works; revoke sessions', async () => {
  const u = await newUser();
  const client = await loginAs(u.username, u.password);
  await root.api.user.resetPassword.mutate({ userId: u.id, password: 'second-password-2' });
  assert.equal(await sessionWorks(client), false);
  assert.equal((await rejection(loginAs(u.username, u.password))).code, 'UNAUTHORIZED');
  const fresh = await loginAs(u.username, 'second-password-2');
  assert.equal(await sessionWorks(fresh), true);

  const { count } = await root.api.user.revokeSessions.mutate({ userId: u.id });
  assert.equal(count, 1);
  assert.equal(await sessionWorks(fresh), false);
});

test('delete: refused while the user owns VMs, works with reassignment', async () => {
  const u = await newUser();
  const owner = await loginAs(u.username, u.password);
  const { vmId } = await createTestVm(owner.api, 'own', { start: false });
  const me = await root.api.auth.me.query();
  assert.ok(me);
  try {
    const refused = await rejection(root.api.user.delete.mutate({ userId: u.id }));
    assert.equal(refused.code, 'CONFLICT');
    assert.match(refused.message, /owns 1 VM\b/);
    assert.ok(
      (await root.api.user.list.query()).some((x) => x.id === u.id),
      'not deleted',
    );

    await root.api.user.delete.mutate({ userId: u.id, newOwnerId: me.id });
    assert.ok(!(await root.api.user.list.query()).some((x) => x.id === u.id));
    assert.equal(await sessionWorks(owner), false, 'a deleted user’s session ends');
    const vm = await root.api.vm.byId.query({ vmId });
    assert.equal(vm.ownerId, me.id, 'the VM now belongs to the chosen user');
  } finally {
    await waitTask(root.api, (await root.api.vm.delete.mutate({ vmId })).taskId);
  }
});

test('guards: no self-disable or self-delete; the last enabled admin cannot be demoted', async () => {
  const me = await root.api.auth.me.query();
  assert.ok(me);
  const self = await rejection(root.api.user.setDisabled.mutate({ userId: me.id, disabled: true }));
  assert.equal(self.code, 'INVALID_STATE');
  assert.match(self.message, /your own account/);
  assert.equal((await rejection(root.api.user.delete.mutate({ userId: me.id }))).code, 'INVALID_STATE');

  // Every other admin disabled: root is the last enabled one.
  const other = await newUser('admin');
  const others = (await root.api.user.list.query()).filter((x) => x.role === 'admin' && x.id !== me.id && !x.disabled);
  for (const x of others) await root.api.user.setDisabled.mutate({ userId: x.id, disabled: true });
  const demote = await rejection(root.api.user.setRole.mutate({ userId: me.id, role: 'user' }));
  assert.equal(demote.code, 'INVALID_STATE');
  assert.match(demote.message, /last enabled administrator/);
  assert.equal((await root.api.auth.me.query())?.role, 'admin');

  // With another enabled admin, roles can change.
  await root.api.user.setDisabled.mutate({ userId: other.id, disabled: false });
  await root.api.user.setRole.mutate({ userId: other.id, role: 'user' });
  assert.equal((await root.api.user.list.query()).find((x) => x.id === other.id)?.role, 'user');
  for (const x of others)
    if (x.id !== other.id) await root.api.user.setDisabled.mutate({ userId: x.id, disabled: false });
});
