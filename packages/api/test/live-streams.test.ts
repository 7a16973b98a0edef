import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VireoError } from '@vireo/protocol';
import { attachStream, setWatchedVms } from '../src/services/live-streams.ts';

test('a stream’s watched VMs reach its subscription, whichever call comes first', () => {
  setWatchedVms('stream-aaaaaaaaaaaaaaaa', 'alice', new Set(['vm1']));
  const early = attachStream('stream-aaaaaaaaaaaaaaaa', 'alice');
  assert.deepEqual([...early.vmIds()], ['vm1']);
  setWatchedVms('stream-aaaaaaaaaaaaaaaa', 'alice', new Set(['vm2', 'vm3']));
  assert.deepEqual([...early.vmIds()].sort(), ['vm2', 'vm3']);

  const late = attachStream('stream-bbbbbbbbbbbbbbbb', 'alice');
  assert.equal(late.vmIds().size, 0);
  setWatchedVms('stream-bbbbbbbbbbbbbbbb', 'alice', new Set(['vm4']));
  assert.deepEqual([...late.vmIds()], ['vm4']);
  early.detach();
  late.detach();
});

test('another user cannot attach to or steer a stream', () => {
  const mine = attachStream('stream-cccccccccccccccc', 'alice');
  assert.throws(
    () => attachStream('stream-cccccccccccccccc', 'mallory'),
    (err) => VireoError.is(err, 'NOT_FOUND'),
  );
  assert.throws(
    () => setWatchedVms('stream-cccccccccccccccc', 'mallory', new Set(['vm1'])),
    (err) => VireoError.is(err, 'NOT_FOUND'),
  );
  assert.equal(mine.vmIds().size, 0);
  mine.detach();
});

test('one user cannot open streams without bound', () => {
  const opened: ReturnType<typeof attachStream>[] = [];
  assert.throws(
    () => {
      for (let i = 0; i < 1000; i++) opened.push(attachStream(`stream-many-${String(i).padStart(8, '0')}`, 'bob'));
    },
    (err) => VireoError.is(err, 'TOO_MANY_REQUESTS'),
  );
  assert.ok(opened.length >= 8 && opened.length < 1000, `${opened.length} streams opened before the limit`);
  for (const s of opened) s.detach();
});
