import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ancestorKeys, keyMove, nodeKey, type TreeData, visibleRows } from '../src/modules/inventory/tree-model.ts';

const data: TreeData = {
  datacenters: [
    { id: 'd1', name: 'East' },
    { id: 'd2', name: 'West' },
  ],
  clusters: [
    { id: 'c1', name: 'Prod', datacenterId: 'd1' },
    { id: 'c2', name: 'Test', datacenterId: 'd1' },
  ],
  hosts: [
    { id: 'h1', name: 'h1', clusterId: 'c1', status: 'online', vmsTotal: 3, vmsRunning: 2 },
    { id: 'h2', name: 'h2', clusterId: 'c1', status: 'offline', vmsTotal: 0, vmsRunning: 0 },
  ],
};

test('collapsed: only datacenters, with VM counts rolled up from their hosts', () => {
  const rows = visibleRows(data, new Set(), new Map());
  assert.deepEqual(
    rows.map((r) => [r.key, r.vmsRunning, r.vmsTotal, r.hostCount, r.expandable]),
    [
      ['datacenter:d1', 2, 3, 2, true],
      ['datacenter:d2', 0, 0, 0, false],
    ],
  );
});

test('expanded down to a host: its VM leaves appear once loaded', () => {
  const open = new Set([nodeKey('datacenter', 'd1'), nodeKey('cluster', 'c1'), nodeKey('host', 'h1')]);
  const loading = visibleRows(data, open, new Map());
  assert.equal(loading.find((r) => r.key === 'host:h1')?.loading, true);
  const leaves = new Map([['h1', [{ id: 'v1', name: 'a', state: 'running' }]]]);
  const rows = visibleRows(data, open, leaves);
  assert.deepEqual(
    rows.map((r) => `${'  '.repeat(r.depth)}${r.key}`),
    ['datacenter:d1', '  cluster:c1', '    host:h1', '      vm:v1', '    host:h2', '  cluster:c2', 'datacenter:d2'],
  );
});

test('keys: arrows move, right expands then enters, left collapses then goes up, Enter toggles', () => {
  const open = new Set([nodeKey('datacenter', 'd1')]);
  const rows = visibleRows(data, open, new Map());
  assert.deepEqual(keyMove(rows, null, 'ArrowDown'), { type: 'focus', key: 'datacenter:d1' });
  assert.deepEqual(keyMove(rows, 'datacenter:d1', 'ArrowDown'), { type: 'focus', key: 'cluster:c1' });
  assert.deepEqual(keyMove(rows, 'datacenter:d1', 'ArrowUp'), { type: 'focus', key: 'datacenter:d1' });
  assert.deepEqual(keyMove(rows, 'datacenter:d1', 'ArrowRight'), { type: 'focus', key: 'cluster:c1' });
  assert.deepEqual(keyMove(rows, 'cluster:c1', 'ArrowRight'), { type: 'expand', key: 'cluster:c1' });
  assert.equal(keyMove(rows, 'cluster:c2', 'ArrowRight'), null); // no hosts: nothing to open
  assert.deepEqual(keyMove(rows, 'cluster:c1', 'ArrowLeft'), { type: 'focus', key: 'datacenter:d1' });
  assert.deepEqual(keyMove(rows, 'datacenter:d1', 'ArrowLeft'), { type: 'collapse', key: 'datacenter:d1' });
  assert.deepEqual(keyMove(rows, 'cluster:c1', 'Enter'), { type: 'toggle', key: 'cluster:c1' });
  assert.deepEqual(keyMove(rows, 'cluster:c1', 'End'), { type: 'focus', key: 'datacenter:d2' });
});

test('the way to a node: its datacenter and cluster; null until the data holds it', () => {
  assert.deepEqual(ancestorKeys(data, 'host:h1'), ['datacenter:d1', 'cluster:c1']);
  assert.deepEqual(ancestorKeys(data, 'cluster:c2'), ['datacenter:d1']);
  assert.deepEqual(ancestorKeys(data, 'datacenter:d2'), []);
  assert.equal(ancestorKeys(data, 'cluster:new'), null);
});
