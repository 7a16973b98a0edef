// The view-only console's server-side filter: a viewer's handshake and update requests pass,
// its keys, pointer and clipboard never do, however the bytes are split into frames.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ViewOnlyRfbFilter } from '../src/services/rfb-view-only.ts';

const version = Buffer.from('RFB 003.008\n', 'latin1');
const setEncodings = Buffer.from([2, 0, 0, 2, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x21]);
const updateRequest = Buffer.from([3, 1, 0, 0, 0, 0, 4, 0, 3, 0]);
const pixelFormat = Buffer.concat([Buffer.from([0, 0, 0, 0]), Buffer.alloc(16, 7)]);
const keyDown = Buffer.from([4, 1, 0, 0, 0, 0, 0, 0x61]);
const pointer = Buffer.from([5, 1, 0, 10, 0, 20]);
const cut = Buffer.concat([Buffer.from([6, 0, 0, 0, 0, 0, 0, 3]), Buffer.from('abc')]);
const qemuKey = Buffer.from([255, 0, 0, 1, 0, 0, 0, 0x61, 0, 0, 0, 30]);

function run(filter: ViewOnlyRfbFilter, chunks: Buffer[]): { out: Buffer; dropped: number } {
  const out: Buffer[] = [];
  let dropped = 0;
  for (const c of chunks) {
    const r = filter.push(c);
    if ('refuse' in r) throw new Error(r.refuse);
    out.push(r.forward);
    dropped += r.dropped;
  }
  return { out: Buffer.concat(out), dropped };
}

const handshake = Buffer.concat([version, Buffer.from([1]), Buffer.from([0])]);
const viewer = Buffer.concat([pixelFormat, setEncodings, updateRequest]);
const input = Buffer.concat([keyDown, pointer, cut, qemuKey]);

test('the handshake and a viewer’s messages pass; ClientInit is forced to shared', () => {
  const { out, dropped } = run(new ViewOnlyRfbFilter(), [handshake, viewer]);
  assert.equal(dropped, 0);
  assert.deepEqual(out, Buffer.concat([version, Buffer.from([1, 1]), viewer]));
});

test('keys, pointer, clipboard and QEMU key events are dropped, split anywhere', () => {
  const all = Buffer.concat([handshake, viewer, input, updateRequest]);
  const expected = Buffer.concat([version, Buffer.from([1, 1]), viewer, updateRequest]);
  for (let size = 1; size <= 13; size++) {
    const chunks: Buffer[] = [];
    for (let i = 0; i < all.length; i += size) chunks.push(all.subarray(i, i + size));
    const { out, dropped } = run(new ViewOnlyRfbFilter(), chunks);
    assert.deepEqual(out, expected, `chunks of ${size}`);
    assert.equal(dropped, 4);
  }
});

test('VNC authentication passes its 16-byte response', () => {
  const auth = Buffer.concat([version, Buffer.from([2]), Buffer.alloc(16, 9), Buffer.from([1]), updateRequest]);
  assert.deepEqual(run(new ViewOnlyRfbFilter(), [auth]).out, auth);
});

test('unknown messages, other security types and RFB 3.3 end the session', () => {
  const refused = (bytes: Buffer) => 'refuse' in new ViewOnlyRfbFilter().push(bytes);
  assert.ok(refused(Buffer.concat([handshake, Buffer.from([99, 0, 0, 0])])));
  assert.ok(refused(Buffer.concat([handshake, Buffer.from([255, 1, 0, 0])])));
  assert.ok(refused(Buffer.concat([version, Buffer.from([19])])));
  assert.ok(refused(Buffer.from('RFB 003.003\n', 'latin1')));
});
