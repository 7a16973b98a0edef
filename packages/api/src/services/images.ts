/**
 * Images into storage pools: uploads from the browser (a row per upload here; the bytes on the
 * host, see edge/image-upload.ts for the chunks) and imports from a path on a host (a task).
 * The host's agent runs the checks (format, backing file, virtual size, plain file inside the
 * pool); this side checks names, sizes and rights, and records how each upload ended.
 */
import {
  formatFromName,
  type ImageFormat,
  IMAGE_EXTENSIONS,
  type ImageVolume,
  toErrorPayload,
  VireoError,
} from '@vireo/protocol';
import { hosts, imageUploads, type ImageUploadView } from '@vireo/db';
import type { UserView } from '../views.ts';
import { managerEnv } from '../env.ts';
import { hostAgent } from './agent-router.ts';
import { startTask } from './tasks.ts';

const GIB = 1024 ** 3;
/** Checks run on the host after the last byte: qemu-img twice and an fsync; generous. */
const COMMIT_TIMEOUT_MS = 5 * 60_000;

export function maxVirtualBytes(): number {
  return managerEnv().VIREO_IMAGE_MAX_VIRTUAL_GIB * GIB;
}

export function maxUploadBytes(): number {
  return managerEnv().VIREO_IMAGE_MAX_UPLOAD_GIB * GIB;
}

function checkName(name: string, format: ImageFormat): void {
  if (formatFromName(name) !== format) {
    throw new VireoError(
      'BAD_INPUT',
      `A ${format} image's name must end in ${IMAGE_EXTENSIONS[format].join(' or ')}; ${name} does not.`,
      { object: 'image' },
    );
  }
}

/** The host, online (its agent reachable through some manager). */
async function onlineHost(hostId: string) {
  const host = await hosts.byId(hostId);
  if (!host) throw new VireoError('NOT_FOUND', 'No such host.', { object: 'host' });
  return { host, agent: await hostAgent(host.id, host.name) };
}

export interface UploadInput {
  hostId: string;
  pool: string;
  name: string;
  format: ImageFormat;
  sizeBytes: number;
}

export async function createUpload(input: UploadInput, user: UserView): Promise<ImageUploadView> {
  checkName(input.name, input.format);
  if (input.sizeBytes > maxUploadBytes()) {
    throw new VireoError(
      'PAYLOAD_TOO_LARGE',
      `The file is ${(input.sizeBytes / GIB).toFixed(1)} GiB; uploads are limited to ${managerEnv().VIREO_IMAGE_MAX_UPLOAD_GIB} GiB (VIREO_IMAGE_MAX_UPLOAD_GIB).`,
      { object: 'image' },
    );
  }
  // The host must be there now: better to refuse at once than after the first chunk.
  await onlineHost(input.hostId);
  if (await imageUploads.nameTaken(input.hostId, input.pool, input.name)) {
    throw new VireoError('CONFLICT', `An upload to ${input.name} in pool ${input.pool} is already under way.`, {
      object: 'image',
    });
  }
  return imageUploads.create({ ...input, ownerId: user.id });
}

export async function uploadById(id: string): Promise<ImageUploadView> {
  const upload = await imageUploads.byId(id);
  if (!upload) throw new VireoError('NOT_FOUND', 'No such upload.', { object: 'image' });
  return upload;
}

/** How many bytes the host has: the offset the browser resumes from. */
export async function uploadOffset(upload: ImageUploadView): Promise<number> {
  if (upload.state === 'done') return upload.sizeBytes;
  if (upload.state !== 'open') return 0;
  const { agent } = await onlineHost(upload.hostId);
  const { offset } = await agent.request('image.uploadStatus', { uploadId: upload.id, pool: upload.pool });
  return offset;
}

/** All bytes are on the host: check them there and make the volume (or refuse, removing the file). */
export async function commitUpload(id: string): Promise<{ volume: ImageVolume }> {
  const upload = await uploadById(id);
  if (!(await imageUploads.transition(id, ['open'], 'committing'))) {
    throw new VireoError('INVALID_STATE', `The upload is ${upload.state}, not open.`, { object: 'image' });
  }
  try {
    const { agent } = await onlineHost(upload.hostId);
    const result = await agent.request(
      'image.uploadCommit',
      {
        uploadId: id,
        pool: upload.pool,
        name: upload.name,
        format: upload.format as ImageFormat,
        size: upload.sizeBytes,
        maxVirtualBytes: maxVirtualBytes(),
      },
      { timeoutMs: COMMIT_TIMEOUT_MS },
    );
    await imageUploads.transition(id, ['committing'], 'done');
    return result;
  } catch (err) {
    const { code, message } = toErrorPayload(err);
    // Bytes missing (INVALID_STATE) or a host away: the upload stays open, to resume. A refused
    // image was removed by the agent: the upload is over.
    const resumable =
      code === 'INVALID_STATE' || code === 'HOST_OFFLINE' || code === 'HOST_UNREACHABLE' || code === 'BUSY';
    await imageUploads.transition(id, ['committing'], resumable ? 'open' : 'failed', { code, message });
    throw err;
  }
}

export async function cancelUpload(id: string): Promise<void> {
  const upload = await uploadById(id);
  if (!(await imageUploads.transition(id, ['open', 'failed'], 'cancelled'))) {
    throw new VireoError('INVALID_STATE', `The upload is ${upload.state}; it cannot be cancelled now.`, {
      object: 'image',
    });
  }
  // Best effort: an offline host keeps the part file until it is cancelled again (state allows it).
  const { agent } = await onlineHost(upload.hostId);
  await agent.request('image.uploadAbort', { uploadId: id, pool: upload.pool });
}

export function recentUploads(): Promise<ImageUploadView[]> {
  return imageUploads.recent(50);
}

export interface ImportInput {
  hostId: string;
  sourcePath: string;
  pool: string;
  name: string;
  format: ImageFormat;
}

/** Copies a file on the host into the pool as a task (progress from the agent). */
export async function importImage(input: ImportInput, user: UserView): Promise<{ taskId: string }> {
  checkName(input.name, input.format);
  const { host } = await onlineHost(input.hostId);
  const taskId = await startTask({ kind: 'image.import', hostId: host.id, ownerId: user.id }, async (progress, id) => {
    const { agent } = await onlineHost(host.id);
    const { volume } = await agent.request(
      'image.import',
      { ...input, maxVirtualBytes: maxVirtualBytes() },
      { taskId: id, timeoutMs: 3_600_000, onProgress: progress },
    );
    return `Imported ${volume.name} into pool ${volume.pool} on ${host.name} (${volume.format}, virtual size ${volume.virtualBytes} bytes).`;
  });
  return { taskId };
}
