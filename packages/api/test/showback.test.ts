/**
 * Showback figures for a known usage pattern, through the real metering step on a real database
 * (SQLite, or PostgreSQL with VIREO_TEST_DATABASE=postgres): a project VM of 2 vCPU / 1024 MiB /
 * 10 GiB runs 90 minutes then is stopped for 30, metered every minute; a VM outside any project
 * (1 vCPU / 512 MiB, no disk) runs all 120 minutes. The hourly buckets, the report's totals, the
 * priced cost and the CSV are checked against figures worked out by hand. Two managers metering
 * the same instant count it once.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { setupTestDb, testHost, testTemplate, testVm } from '../../db/test/helpers.ts';

const { db, teardown } = await setupTestDb();
const { meterStep, MAX_STEP_MS } = await import('../src/services/showback-meter.ts');
const { showbackCsv, showbackReport } = await import('../src/services/showback.ts');
after(teardown);

const MIN = 60_000;
const t0 = Date.parse('2026-01-05T10:30:00Z');
const at = (minutes: number) => new Date(t0 + minutes * MIN);
const near = (actual: number, expected: number, what: string) =>
  assert.ok(Math.abs(actual - expected) < 1e-9, `${what}: ${actual}, expected ${expected}`);

test('a known timeline gives exact vCPU-, memory- and disk-hours per project and hour, and priced totals', async () => {
  const clusterId = (await db.clusters.ensure('Default', 'Default')).id;
  const admin = await db.users.create({ username: 'admin', password: 'pw-admin', role: 'admin' });
  const hostId = (await testHost(db, 'h1', clusterId)).id;
  const templateId = (await testTemplate(db, 'tpl')).id;
  const project = await db.projects.create({ name: 'alpha' });
  const vm = await db.vms.create({
    uuid: crypto.randomUUID(),
    name: 'metered',
    hostId,
    templateId,
    ownerId: admin.id,
    vcpus: 2,
    memoryMiB: 1024,
  });
  // Until create-in-project lands the project is set on the row directly.
  await db.getDb().vm.update({ where: { id: vm.id }, data: { projectId: project.id } });
  const base = { pool: 'default', volume: 'm.qcow2', path: '/p/m.qcow2', bus: 'virtio', format: 'qcow2' } as const;
  await db.vmDisks.add(vm.id, {
    ...base,
    position: 0,
    device: 'disk',
    sizeBytes: 10 * 1024 ** 3,
    readOnly: false,
    owned: true,
  });
  // A CD-ROM's image is not the VM's allocated disk: not counted.
  await db.vmDisks.add(vm.id, {
    ...base,
    position: 1,
    device: 'cdrom',
    sizeBytes: 4 * 1024 ** 3,
    readOnly: true,
    owned: false,
  });
  const loose = await testVm(db, 'loose', { hostId, templateId, ownerId: admin.id });
  await db.getDb().vm.update({ where: { id: loose.id }, data: { vcpus: 1, memoryMiB: 512 } });
  await db.vms.updateState(vm.uuid, 'running');
  await db.vms.updateState(loose.uuid, 'running');
  await db.usage.setPrices({ currency: 'EUR', vcpuHour: 0.05, memoryGiBHour: 0.01, diskGiBHour: 0.0002 });

  assert.equal(await meterStep(at(0)), 0, 'the first step only starts the cursor');
  for (let m = 1; m <= 120; m++) {
    if (m === 91) await db.vms.updateState(vm.uuid, 'shutoff'); // stopped after 90 minutes
    const counted = await meterStep(at(m));
    assert.equal(counted, 60, `minute ${m}: 60 s counted`);
  }

  // Hourly buckets: 10:30–11:00 running, 11:00–12:00 running, 12:00–12:30 stopped.
  const buckets = await db.usage.buckets({ from: at(-60), to: at(180), projectIds: [project.id] });
  assert.deepEqual(
    buckets.map((b) => [b.hourStart.toISOString(), b.vcpuSeconds, b.memoryMiBSeconds, b.diskGiBSeconds]),
    [
      ['2026-01-05T10:00:00.000Z', 2 * 1800, 1024 * 1800, 10 * 1800],
      ['2026-01-05T11:00:00.000Z', 2 * 3600, 1024 * 3600, 10 * 3600],
      ['2026-01-05T12:00:00.000Z', 0, 0, 10 * 1800],
    ],
  );

  const report = await showbackReport(admin, { from: at(-30), to: at(150), step: 'hour' });
  const alpha = report.rows.find((r) => r.projectId === project.id);
  assert.ok(alpha);
  assert.equal(alpha.projectName, 'alpha');
  near(alpha.vcpuHours, 3, 'alpha vCPU-hours (2 vCPU × 1.5 h)');
  near(alpha.memoryGiBHours, 1.5, 'alpha memory GiB-hours (1 GiB × 1.5 h)');
  near(alpha.diskGiBHours, 20, 'alpha disk GiB-hours (10 GiB × 2 h, stopped too)');
  near(alpha.cost, 3 * 0.05 + 1.5 * 0.01 + 20 * 0.0002, 'alpha cost (0.169 EUR)');
  const none = report.rows.find((r) => r.projectId === '');
  assert.ok(none);
  assert.equal(none.projectName, 'No project');
  near(none.vcpuHours, 2, 'no-project vCPU-hours (1 vCPU × 2 h)');
  near(none.memoryGiBHours, 1, 'no-project memory GiB-hours (0.5 GiB × 2 h)');
  near(none.diskGiBHours, 0, 'no-project disk GiB-hours');
  near(report.total.cost, 0.169 + 2 * 0.05 + 1 * 0.01, 'total cost');
  // The series: hour points 10:00..12:00 (to, 13:00, is excluded); the 11:00 point holds 2
  // vCPU-h (alpha) + 1 (loose).
  assert.deepEqual(
    report.series.map((p) => p.at.toISOString()),
    ['2026-01-05T10:00:00.000Z', '2026-01-05T11:00:00.000Z', '2026-01-05T12:00:00.000Z'],
  );
  near(report.series[1]?.vcpuHours ?? -1, 3, 'vCPU-hours in the 11:00 hour');
  near(report.series[2]?.vcpuHours ?? -1, 0.5, 'vCPU-hours in the 12:00 hour (only the loose VM)');

  const csv = showbackCsv(report).split('\r\n');
  assert.equal(csv[0], 'project,projectId,from,to,vcpuHours,memoryGiBHours,diskGiBHours,currency,cost');
  assert.equal(
    csv[1],
    `alpha,${project.id},2026-01-05T10:00:00.000Z,2026-01-05T13:00:00.000Z,3.0000,1.5000,20.0000,EUR,0.17`,
  );
  assert.equal(csv[2], 'No project,,2026-01-05T10:00:00.000Z,2026-01-05T13:00:00.000Z,2.0000,1.0000,0.0000,EUR,0.11');
});

test('two managers metering the same instant count it once; a long gap counts only its last MAX_STEP_MS', async () => {
  const before = await db.usage.buckets({ from: at(-60), to: at(24 * 60) });
  const sum = (rows: typeof before) => rows.reduce((s, b) => s + b.vcpuSeconds, 0);
  const [a, b] = await Promise.all([meterStep(at(121)), meterStep(at(121))]);
  assert.deepEqual([a, b].sort(), [0, 60], 'one of the two counted the minute');
  const afterRace = await db.usage.buckets({ from: at(-60), to: at(24 * 60) });
  near(sum(afterRace) - sum(before), 60 * 1, 'one minute of the loose VM (1 vCPU) added once');
  assert.equal(await meterStep(at(121)), 0, 'an instant already metered adds nothing');
  // Every manager down for an hour: the VMs' states in between are unknown; 5 minutes count.
  assert.equal(await meterStep(at(181)), MAX_STEP_MS / 1000);
});

test('the report of a project owner holds only their projects; another project is refused as missing', async () => {
  const owner = await db.users.create({ username: 'olive', password: 'pw-olive-1', role: 'user' });
  const alpha = await db.projects.byName('alpha');
  assert.ok(alpha);
  const empty = await showbackReport(owner, { from: at(0), to: at(120), step: 'hour' });
  assert.deepEqual(empty.rows, [], 'no binding: nothing');
  await db.roleBindings.grant({ userId: owner.id, role: 'owner', scopeKind: 'project', scopeId: alpha.id });
  const mine = await showbackReport(owner, { from: at(0), to: at(120), step: 'hour' });
  assert.deepEqual(
    mine.rows.map((r) => r.projectName),
    ['alpha'],
  );
  await assert.rejects(showbackReport(owner, { from: at(0), to: at(120), step: 'hour' }, ''), { code: 'NOT_FOUND' });
});
