// Idempotent seed: `npx tsx prisma/seed.ts` (after `npm run db:migrate`).
//   VIREO_ADMIN_PASSWORD       sets/resets the `admin` password; without it an
//                              existing admin is left alone and a new one gets a
//                              random password, printed once.
//   VIREO_TEMPLATE_IMAGE_JSON  path to {"kernel","initrd","disk","cmdline"}
//                              (absolute paths, produced by the lab); without it
//                              the template is skipped.
//   DATABASE_URL               default file:<repo>/var/vireo.db
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  closeDb,
  clusters,
  flavors,
  generateToken,
  type TemplateInput,
  templates,
  users,
  verifyPassword,
} from '@vireo/db';
import { z } from 'zod';

const DEFAULT_TEMPLATE = 'vireo-tiny';

const absolutePath = z.string().refine((p) => path.isAbsolute(p), 'must be an absolute path');
const templateImage = z.object({
  kernel: absolutePath,
  initrd: absolutePath,
  disk: absolutePath,
  cmdline: z.string(),
});

async function ensureCluster(): Promise<void> {
  const cluster = await clusters.ensure('Default', 'Default');
  console.log(`Cluster ${cluster.datacenterName}/${cluster.name}: ok`);
}

async function ensureAdmin(envPassword: string | undefined): Promise<void> {
  const admin = await users.byUsername('admin');
  if (!admin) {
    const password = envPassword || generateToken().slice(0, 20);
    await users.create({ username: 'admin', password, role: 'admin' });
    console.log('Admin user created.');
    if (!envPassword) console.log(`Admin password: ${password}`);
    return;
  }
  if (admin.role !== 'admin') console.warn(`Warning: user "admin" has role "${admin.role}", not admin.`);
  if (envPassword && !(await verifyPassword(envPassword, admin.passwordHash))) {
    await users.setPassword(admin.id, envPassword);
    console.log('Admin password reset from VIREO_ADMIN_PASSWORD.');
    return;
  }
  console.log('Admin user: ok (password unchanged)');
}

function sameTemplate(current: TemplateInput, wanted: TemplateInput): boolean {
  return (Object.keys(wanted) as (keyof TemplateInput)[]).every((k) => current[k] === wanted[k]);
}

async function ensureTemplate(jsonPath: string | undefined): Promise<void> {
  if (!jsonPath) {
    console.log(`Template ${DEFAULT_TEMPLATE}: skipped (VIREO_TEMPLATE_IMAGE_JSON not set)`);
    return;
  }
  const image = templateImage.parse(JSON.parse(readFileSync(jsonPath, 'utf8')));
  for (const file of [image.kernel, image.initrd, image.disk]) {
    if (!existsSync(file)) console.warn(`Warning: ${file} (from ${jsonPath}) does not exist on this machine.`);
  }
  const wanted: TemplateInput = {
    name: DEFAULT_TEMPLATE,
    description: 'Tiny Linux (kernel + initrd + qcow2 overlay) for smoke tests',
    kernelPath: image.kernel,
    initrdPath: image.initrd,
    diskPath: image.disk,
    cmdline: image.cmdline,
    defaultVcpus: 1,
    defaultMemoryMiB: 128,
  };
  const current = await templates.byName(DEFAULT_TEMPLATE);
  if (current && sameTemplate(current, wanted)) {
    console.log(`Template ${DEFAULT_TEMPLATE}: ok`);
    return;
  }
  await templates.upsert(wanted);
  console.log(`Template ${DEFAULT_TEMPLATE}: ${current ? 'updated' : 'created'} from ${jsonPath}`);
}

/** The portal's default sizes; admins change or remove them, and a re-seed leaves theirs alone. */
async function ensureFlavors(): Promise<void> {
  const made = await flavors.ensure([
    { name: 'Small', description: 'Light services, tests', vcpus: 1, memoryMiB: 256, sortOrder: 10 },
    { name: 'Medium', description: 'Everyday workloads', vcpus: 2, memoryMiB: 1024, sortOrder: 20 },
    { name: 'Large', description: 'Builds, databases', vcpus: 4, memoryMiB: 4096, sortOrder: 30 },
  ]);
  console.log(`Flavors: ${made ? `${made} created` : 'ok'}`);
}

try {
  await ensureCluster();
  await ensureFlavors();
  await ensureAdmin(process.env.VIREO_ADMIN_PASSWORD);
  await ensureTemplate(process.env.VIREO_TEMPLATE_IMAGE_JSON);
} finally {
  await closeDb();
}
