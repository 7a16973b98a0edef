// Layout check without a manager: serves canned tRPC answers through Playwright routing, so pages
// can be looked at (and the VM list tried with thousands of rows) against `next start` alone.
// Usage: node apps/web/scripts/ui-mock-screens.mjs http://127.0.0.1:3900 test-artifacts/ui/mock
import { mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { chromiumArgs, chromiumExecutable } from '../../../tests/support/chromium.mjs';

const [base = 'http://127.0.0.1:3900', outDir = 'test-artifacts/ui/mock'] = process.argv.slice(2);
mkdirSync(outDir, { recursive: true });

const now = Date.now();
const iso = (msAgo) => new Date(now - msAgo).toISOString();
const hosts = ['kvm-a', 'kvm-b', 'xen-c'].map((name, i) => ({
  id: `h${i}`,
  name,
  hostname: `${name}.lab`,
  clusterName: 'default',
  address: `10.77.0.${11 + i}`,
  status: i === 2 ? 'offline' : 'online',
  cpuCount: 8 + i * 8,
  cpuModel: 'Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz',
  cpuUsagePercent: [23.4, 81.2, 0][i],
  memoryBytes: (32 + i * 32) * 1024 ** 3,
  memoryFreeBytes: [20, 6, 60][i] * 1024 ** 3,
  libvirtVersion: '9.0.0',
  qemuVersion: '7.2.0',
  domainTypes: i === 2 ? ['xen'] : ['kvm', 'qemu'],
  vmCount: [12, 30, 0][i],
  lastSeenAt: iso(i === 2 ? 3_600_000 : 4_000),
}));
const states = ['running', 'running', 'shutoff', 'paused', 'crashed', 'creating', 'running', 'deleting', 'shutdown'];
const vms = Array.from({ length: 3000 }, (_, i) => ({
  id: `vm${i}`,
  uuid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  name: i === 5 ? '<script>alert(1)</script>' : `web-${String(i).padStart(4, '0')}`,
  state: states[i % states.length],
  stateReason: null,
  vcpus: 1 + (i % 4),
  memoryMiB: 512 * (1 + (i % 4)),
  hostId: 'h0',
  hostName: i % 2 ? 'kvm-a' : 'kvm-b',
  hostStatus: 'online',
  templateName: 'tiny-linux',
  ownerId: 'u1',
  ownerName: 'admin',
  cpuUsagePercent: states[i % states.length] === 'running' ? (i * 7) % 100 : null,
  createdAt: iso(86_400_000),
}));
const templates = [
  {
    id: 't1',
    name: 'tiny-linux',
    description: 'Busybox guest, direct kernel boot',
    defaultVcpus: 1,
    defaultMemoryMiB: 256,
  },
  { id: 't2', name: 'debian-12', description: 'Debian 12 cloud image', defaultVcpus: 2, defaultMemoryMiB: 2048 },
];
const tasks = [
  {
    id: 'k1',
    kind: 'vm.create',
    state: 'running',
    progress: 45,
    message: 'Defining domain',
    errorCode: null,
    errorMessage: null,
    vmId: 'vm0',
    ownerId: 'u1',
    vmName: 'web-0000',
    ownerName: 'admin',
    createdAt: iso(5_000),
    finishedAt: null,
  },
  {
    id: 'k2',
    kind: 'vm.start',
    state: 'failed',
    progress: 30,
    message: null,
    errorCode: 'LIBVIRT_ERROR',
    errorMessage: 'internal error: process exited while connecting to monitor',
    vmId: 'vm2',
    ownerId: 'u1',
    vmName: 'web-0002',
    ownerName: 'admin',
    createdAt: iso(60_000),
    finishedAt: iso(58_000),
  },
  {
    id: 'k3',
    kind: 'vm.shutdown',
    state: 'succeeded',
    progress: 100,
    message: 'The guest shut down',
    errorCode: null,
    errorMessage: null,
    vmId: 'vm2',
    ownerId: 'u1',
    vmName: 'web-0002',
    ownerName: 'admin',
    createdAt: iso(600_000),
    finishedAt: iso(590_000),
  },
];
const events = [
  {
    id: 'e1',
    at: iso(10_000),
    severity: 'info',
    kind: 'vm.created',
    message: 'VM web-0000 created on kvm-a.',
    vmId: 'vm0',
    hostId: 'h0',
  },
  {
    id: 'e2',
    at: iso(70_000),
    severity: 'error',
    kind: 'host.offline',
    message: 'Host xen-c stopped answering.',
    vmId: null,
    hostId: 'h2',
  },
];
const answers = {
  'auth.me': { id: 'u1', username: 'admin', role: 'admin' },
  'host.list': hosts,
  'vm.list': vms,
  'template.list': templates,
  'task.list': tasks,
  'event.list': events,
  'vm.byId': vms[0],
  'task.byId': tasks[0],
};

const browser = await chromium.launch({
  executablePath: chromiumExecutable,
  args: chromiumArgs,
});
const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
page.on('pageerror', (e) => console.log('pageerror', e.message));
await page.route('**/api/trpc/**', (route) => {
  const url = new URL(route.request().url());
  const paths = url.pathname.replace('/api/trpc/', '').split(',');
  if (paths[0] === 'live.onChange') return route.fulfill({ status: 204 });
  if (route.request().method() === 'POST') {
    return route.fulfill({
      status: 409,
      contentType: 'application/json',
      body: JSON.stringify(
        paths.map(() => ({
          error: {
            message: 'A VM named web-0001 already exists.',
            code: -32009,
            data: { code: 'CONFLICT', httpStatus: 409, vireoCode: 'CONFLICT', vireoObject: 'vm' },
          },
        })),
      ),
    });
  }
  return route.fulfill({
    contentType: 'application/json',
    body: JSON.stringify(paths.map((p) => ({ result: { data: answers[p] ?? null } }))),
  });
});

async function shot(path, name, after) {
  await page.goto(base + path, { waitUntil: 'networkidle' });
  if (after) await after();
  await page.screenshot({ path: `${outDir}/${name}.png` });
  console.log('saved', `${outDir}/${name}.png`);
}
await shot('/login', 'login');
await shot('/hosts', 'hosts');
await shot('/vms', 'vms', async () => {
  for (let i = 0; i < 5; i++) await page.keyboard.press('j');
  console.log('vm rows in DOM:', await page.locator('[data-testid=vm-row]').count());
});
await shot('/vms', 'vms-filter', async () => {
  await page.keyboard.press('/');
  await page.keyboard.type('web-00');
  await page.keyboard.press('ArrowDown');
});
await shot('/vms/new', 'vm-new', async () => {
  await page.fill('[data-testid=vm-name]', 'bad name!');
  await page.fill('[data-testid=vm-memory]', '10');
  await page.click('[data-testid=vm-create-submit]');
});
await shot('/vms/new', 'vm-new-server-error', async () => {
  await page.fill('[data-testid=vm-name]', 'web-0001');
  await page.click('[data-testid=vm-create-submit]');
  await page.waitForSelector('[data-testid=form-error]');
});
await shot('/vms/vm0', 'vm-page');
answers['vm.byId'] = vms[2];
answers['task.byId'] = tasks[1];
await shot('/vms/vm2?task=k2', 'vm-page-shutoff', async () => {
  await page.click('[data-testid=vm-delete]');
  await page.fill('[data-testid=confirm-input]', 'web-00');
});
await shot('/tasks', 'tasks');
await browser.close();
