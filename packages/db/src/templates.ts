import { getDb } from './client.ts';
import type { Prisma } from './generated/client.ts';

export type TemplateView = {
  id: string;
  name: string;
  description: string;
  kernelPath: string;
  initrdPath: string;
  /** Base qcow2 on shared storage; VM disks are overlays backed by it. */
  diskPath: string;
  cmdline: string;
  defaultVcpus: number;
  defaultMemoryMiB: number;
  createdAt: Date;
};

export type TemplateInput = Omit<TemplateView, 'id' | 'createdAt'>;

const templateSelect = {
  id: true,
  name: true,
  description: true,
  kernelPath: true,
  initrdPath: true,
  diskPath: true,
  cmdline: true,
  defaultVcpus: true,
  defaultMemoryMiB: true,
  createdAt: true,
} satisfies Prisma.TemplateSelect;

export async function list(): Promise<TemplateView[]> {
  return getDb().template.findMany({ select: templateSelect, orderBy: { name: 'asc' } });
}

export async function byId(id: string): Promise<TemplateView | null> {
  return getDb().template.findUnique({ where: { id }, select: templateSelect });
}

export async function byName(name: string): Promise<TemplateView | null> {
  return getDb().template.findUnique({ where: { name }, select: templateSelect });
}

/** Create or update by name (idempotent; used by the seed). */
export async function upsert(input: TemplateInput): Promise<TemplateView> {
  return getDb().template.upsert({
    where: { name: input.name },
    create: input,
    update: input,
    select: templateSelect,
  });
}
