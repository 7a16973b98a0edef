import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ioCounters, ioRates } from '../src/domain-io.ts';

const num = (v: unknown) => Number(v ?? 0);

test('ioCounters sums every disk and interface libvirt lists', () => {
  const params = {
    'block.count': 2,
    'block.0.rd.bytes': 1000n,
    'block.0.wr.bytes': 10n,
    'block.1.rd.bytes': 24n,
    'block.1.wr.bytes': 0n,
    'net.count': 1,
    'net.0.rx.bytes': 500n,
    'net.0.tx.bytes': 70n,
    'net.1.rx.bytes': 999n, // beyond net.count: not an interface of this record
  };
  assert.deepEqual(ioCounters(params, num), { diskRead: 1024, diskWrite: 10, netRx: 500, netTx: 70 });
  assert.deepEqual(ioCounters({}, num), { diskRead: 0, diskWrite: 0, netRx: 0, netTx: 0 });
});

test('ioRates: bytes per second; a counter that went back counts as 0', () => {
  const before = { diskRead: 1000, diskWrite: 5000, netRx: 0, netTx: 100 };
  const now = { diskRead: 3000, diskWrite: 1000, netRx: 4096, netTx: 100 };
  assert.deepEqual(ioRates(now, before, 2), { diskReadBps: 1000, diskWriteBps: 0, netRxBps: 2048, netTxBps: 0 });
  assert.deepEqual(ioRates(now, before, 0), { diskReadBps: 0, diskWriteBps: 0, netRxBps: 0, netTxBps: 0 });
});
