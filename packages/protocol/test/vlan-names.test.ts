import assert from 'node:assert/strict';
import { test } from 'node:test';
import { agentRequests, networkSpecSchema, vlanInterfaceNames } from '../src/index.ts';

test('VLAN interfaces are named after parent and tag, within IFNAMSIZ', () => {
  assert.deepEqual(vlanInterfaceNames({ parent: 'eth0', tag: 10 }), { sub: 'eth0.10', bridge: 'vb-eth0-10' });
  for (const parent of ['enp129s0f1np1', 'bond0.100', 'abcdefghijklmno']) {
    for (const tag of [1, 4094]) {
      const n = vlanInterfaceNames({ parent, tag });
      assert.ok(n.sub.length <= 15 && n.bridge.length <= 15, `${parent}/${tag}: ${JSON.stringify(n)}`);
      assert.ok(n.sub.endsWith(`.${tag}`) && n.bridge.endsWith(`-${tag}`));
    }
  }
  // Different long parents do not share a bridge.
  const a = vlanInterfaceNames({ parent: 'enp129s0f1np1', tag: 10 });
  const b = vlanInterfaceNames({ parent: 'enp129s0f0np0', tag: 10 });
  assert.notEqual(a.bridge, b.bridge);
  assert.notEqual(a.sub, b.sub);
});

test('the agent message refuses bad tags, bad parents and a VLAN off its bridge', () => {
  const ensure = agentRequests['network.ensure'].params;
  const spec = (vlan: unknown, bridge = 'vb-eth0-10', mode = 'bridged') => ({
    network: { name: 'vireo-v', mode, bridge, vlan },
  });
  assert.ok(ensure.safeParse(spec({ parent: 'eth0', tag: 10 })).success);
  for (const tag of [0, 4095, 1.5, -3]) assert.ok(!ensure.safeParse(spec({ parent: 'eth0', tag })).success, `${tag}`);
  for (const parent of ['eth0;reboot', 'a/b', '', '-x', 'x'.repeat(16)]) {
    assert.ok(!ensure.safeParse(spec({ parent, tag: 10 })).success, parent);
  }
  assert.ok(!ensure.safeParse(spec({ parent: 'eth0', tag: 10 }, 'br0')).success, 'bridge must be the VLAN bridge');
  assert.ok(!networkSpecSchema.safeParse(spec({ parent: 'eth0', tag: 10 }, 'vb-eth0-10', 'nat').network).success);
  const remove = agentRequests['network.remove'].params;
  assert.ok(remove.safeParse({ name: 'vireo-v' }).success);
  assert.ok(!remove.safeParse({ name: 'vireo-v', vlan: { parent: 'eth0', tag: 5000 } }).success);
});
