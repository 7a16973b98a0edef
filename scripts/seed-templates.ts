/**
 * Seeds the bootable disk templates once the hosts are online: the lab guest's boot-bios.qcow2
 * and boot-uefi.qcow2 are imported by an agent (image.import: libvirt copies them into the
 * `default` pool, nothing is copied by the manager) and become version 1 of `vireo-tiny-bios`
 * and `vireo-tiny-uefi`. Idempotent and quick the second time: a template whose latest version
 * already uses this guest build's volume is left alone; a newer guest build (image.json
 * `bootDiskVersion`) is published as a new version on new bases, the old ones untouched.
 *
 *   VIREO_URL, VIREO_ADMIN_PASSWORD, VIREO_TEMPLATE_IMAGE_JSON (skipped when unset)
 */
import { readFileSync } from 'node:fs';
import { createTRPCClient, httpBatchLink } from '@trpc/client';
import type { AppRouter } from '@vireo/api';
import { z } from 'zod';

const imageJson = z.object({
  bootDisks: z.object({ bios: z.string(), uefi: z.string() }).optional(),
  bootDiskVersion: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/)
    .optional(),
});

const POOL = 'default';
const url = process.env.VIREO_URL ?? 'http://127.0.0.1:3000';

function client() {
  let cookie = '';
  const cookieFetch: typeof fetch = async (input, init) => {
    const headers = new Headers(init?.headers);
    if (cookie) headers.set('cookie', cookie);
    const res = await fetch(input, { ...init, headers });
    for (const c of res.headers.getSetCookie()) {
      const pair = c.split(';')[0] ?? '';
      if (pair.startsWith('vireo_session=')) cookie = pair;
    }
    return res;
  };
  return createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: `${url}/api/trpc`, fetch: cookieFetch })] });
}
type Api = ReturnType<typeof client>;

async function waitTask(api: Api, taskId: string): Promise<void> {
  const deadline = Date.now() + 300_000;
  for (;;) {
    const task = await api.task.byId.query({ taskId });
    if (task.state === 'succeeded') return;
    if (task.state === 'failed') throw new Error(`${task.kind} failed: ${task.errorMessage}`);
    if (Date.now() > deadline) throw new Error(`${task.kind} still ${task.state} after 300 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function ensureTemplate(api: Api, firmware: 'bios' | 'uefi', source: string, build: string): Promise<void> {
  const name = `vireo-tiny-${firmware}`;
  const volume = `${build}-${firmware}.qcow2`;
  const existing = (await api.template.list.query()).find((t) => t.name === name);
  if (existing?.versions[0]?.disks[0]?.volume === volume) {
    console.log(`Template ${name}: ok (v${existing.versions[0].version})`);
    return;
  }
  const pool = (await api.storage.list.query()).find((p) => p.name === POOL);
  if (!pool) throw new Error(`storage pool ${POOL} is missing`);
  if (!pool.volumes?.some((v) => v.name === volume)) {
    const host = (await api.host.list.query()).find((h) => h.status === 'online');
    if (!host) throw new Error('no online host to import the template disk');
    const { taskId } = await api.image.import.mutate({
      hostId: host.id,
      sourcePath: source,
      pool: POOL,
      name: volume,
      format: 'qcow2',
    });
    await waitTask(api, taskId);
  }
  // UEFI (OVMF) needs 256 MiB; the BIOS guest boots in 128.
  const version = {
    firmware,
    defaultVcpus: 1,
    defaultMemoryMiB: firmware === 'uefi' ? 256 : 128,
    note: `lab guest ${build}`,
    disks: [{ pool: POOL, volume, bus: 'virtio' as const, format: 'qcow2' as const }],
    nics: [],
  };
  if (existing) {
    const v = await api.template.publishVersion.mutate({ templateId: existing.id, version });
    console.log(`Template ${name}: published v${v.version} (${volume})`);
  } else {
    await api.template.create.mutate({
      name,
      description: `Tiny Linux booting from its disk by ${firmware.toUpperCase()} (linked clones of a base)`,
      version,
    });
    console.log(`Template ${name}: created (${volume})`);
  }
}

const jsonPath = process.env.VIREO_TEMPLATE_IMAGE_JSON;
if (!jsonPath) {
  console.log('Disk templates: skipped (VIREO_TEMPLATE_IMAGE_JSON not set)');
  process.exit(0);
}
const image = imageJson.parse(JSON.parse(readFileSync(jsonPath, 'utf8')));
if (!image.bootDisks || !image.bootDiskVersion) {
  console.log(`Disk templates: skipped (${jsonPath} has no bootDisks)`);
  process.exit(0);
}
const api = client();
await api.auth.login.mutate({ username: 'admin', password: process.env.VIREO_ADMIN_PASSWORD ?? '' });
await ensureTemplate(api, 'bios', image.bootDisks.bios, image.bootDiskVersion);
await ensureTemplate(api, 'uefi', image.bootDisks.uefi, image.bootDiskVersion);
