import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../src/config.ts';

const base = { VIREO_AGENT_CONFIG: '/dev/null/none' };

test('defaults, then environment overrides', () => {
  const c = loadConfig({ VIREO_MANAGER_URL: 'https://m.example:8443', VIREO_STATS_INTERVAL_MS: '5000' });
  assert.equal(c.managerUrl, 'https://m.example:8443');
  assert.equal(c.statsIntervalMs, 5000);
  assert.equal(c.libvirtDriver, 'QEMU');
});

test('an invalid value names the field and its variable', () => {
  assert.throws(
    () => loadConfig({ VIREO_STATS_INTERVAL_MS: 'soon' }),
    (e) => e instanceof ConfigError && /statsIntervalMs \(VIREO_STATS_INTERVAL_MS\)/.test(e.message),
  );
  assert.throws(() => loadConfig({ VIREO_VM_STORAGE_DIR: 'relative' }), /vmStorageDir/);
  assert.throws(() => loadConfig(base), /Cannot read the config file/);
});

test('the libvirt watch interval: default, override, and bounds', () => {
  assert.equal(loadConfig({}).libvirtWatchIntervalMs, 3000);
  assert.equal(loadConfig({ VIREO_LIBVIRT_WATCH_INTERVAL_MS: '1000' }).libvirtWatchIntervalMs, 1000);
  assert.throws(
    () => loadConfig({ VIREO_LIBVIRT_WATCH_INTERVAL_MS: '10' }),
    (e) => e instanceof ConfigError && /libvirtWatchIntervalMs \(VIREO_LIBVIRT_WATCH_INTERVAL_MS\)/.test(e.message),
  );
});

test('the journal settle interval: default, override, and bounds', () => {
  assert.equal(loadConfig({}).journalSettleIntervalMs, 60_000);
  assert.equal(loadConfig({ VIREO_JOURNAL_SETTLE_INTERVAL_MS: '5000' }).journalSettleIntervalMs, 5000);
  assert.throws(
    () => loadConfig({ VIREO_JOURNAL_SETTLE_INTERVAL_MS: '50' }),
    (e) => e instanceof ConfigError && /journalSettleIntervalMs \(VIREO_JOURNAL_SETTLE_INTERVAL_MS\)/.test(e.message),
  );
});
