// Image uploads, where every manager sees them: a browser's chunks may reach any manager. The
// offset reached is not here (the host's part file is the truth); the row says where the bytes
// go, what they claim to be and how the upload ended. State changes are conditional updates, so
// two managers cannot both commit (or commit and cancel) one upload.
import { getDb } from './client.ts';

export const IMAGE_UPLOAD_STATES = ['open', 'committing', 'done', 'failed', 'cancelled'] as const;
export type ImageUploadState = (typeof IMAGE_UPLOAD_STATES)[number];

export type ImageUploadView = {
  id: string;
  hostId: string;
  hostName: string | null;
  pool: string;
  name: string;
  format: string;
  sizeBytes: number;
  state: ImageUploadState;
  errorCode: string | null;
  errorMessage: string | null;
  ownerId: string | null;
  createdAt: Date;
  updatedAt: Date;
};

export type ImageUploadInput = {
  hostId: string;
  pool: string;
  name: string;
  format: string;
  sizeBytes: number;
  ownerId: string;
};

const select = {
  id: true,
  hostId: true,
  pool: true,
  name: true,
  format: true,
  sizeBytes: true,
  state: true,
  errorCode: true,
  errorMessage: true,
  ownerId: true,
  createdAt: true,
  updatedAt: true,
} as const;

type Row = {
  id: string;
  hostId: string;
  pool: string;
  name: string;
  format: string;
  sizeBytes: bigint;
  state: string;
  errorCode: string | null;
  errorMessage: string | null;
  ownerId: string | null;
  createdAt: Date;
  updatedAt: Date;
};

async function view(rows: Row[]): Promise<ImageUploadView[]> {
  const hostIds = [...new Set(rows.map((r) => r.hostId))];
  const hosts = hostIds.length
    ? await getDb().host.findMany({ where: { id: { in: hostIds } }, select: { id: true, name: true } })
    : [];
  const names = new Map(hosts.map((h) => [h.id, h.name]));
  return rows.map((r) => ({
    ...r,
    sizeBytes: Number(r.sizeBytes),
    state: r.state as ImageUploadState,
    hostName: names.get(r.hostId) ?? null,
  }));
}

export async function create(input: ImageUploadInput): Promise<ImageUploadView> {
  const row = await getDb().imageUpload.create({
    data: { ...input, sizeBytes: BigInt(input.sizeBytes) },
    select,
  });
  const [v] = await view([row]);
  return v as ImageUploadView;
}

export async function byId(id: string): Promise<ImageUploadView | null> {
  const row = await getDb().imageUpload.findUnique({ where: { id }, select });
  return row ? ((await view([row]))[0] ?? null) : null;
}

/** The most recent uploads, newest first. */
export async function recent(limit = 50): Promise<ImageUploadView[]> {
  return view(await getDb().imageUpload.findMany({ orderBy: { createdAt: 'desc' }, take: limit, select }));
}

/** Moves the upload from one of `from` to `to`; false if it was not in one of them (raced). */
export async function transition(
  id: string,
  from: readonly ImageUploadState[],
  to: ImageUploadState,
  error?: { code: string; message: string },
): Promise<boolean> {
  const { count } = await getDb().imageUpload.updateMany({
    where: { id, state: { in: [...from] } },
    data: { state: to, errorCode: error?.code ?? null, errorMessage: error?.message ?? null },
  });
  return count === 1;
}

/** True if an upload that is not over already targets this name in this pool on this host. */
export async function nameTaken(hostId: string, pool: string, name: string): Promise<boolean> {
  const n = await getDb().imageUpload.count({
    where: { hostId, pool, name, state: { in: ['open', 'committing'] } },
  });
  return n > 0;
}

/** Uploads still open that were started before `before` (on one host, when given): abandoned. */
export async function openSince(before: Date, hostId?: string): Promise<ImageUploadView[]> {
  const rows = await getDb().imageUpload.findMany({
    where: { state: 'open', createdAt: { lt: before }, ...(hostId ? { hostId } : {}) },
    orderBy: { createdAt: 'asc' },
    take: 500,
    select,
  });
  return view(rows);
}
