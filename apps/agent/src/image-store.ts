/**
 * Images arriving in a pool: uploads by chunks into `<pool dir>/.upload-<id>.part`, imports by a
 * streamed copy of a file on this host into `<pool dir>/.import-<random>.part`. Either way the
 * part file is checked (image-checks.ts) and only then linked under its final name (never over an
 * existing volume) and the pool refreshed, so libvirt lists it. A refused file is removed.
 *
 * Part files are opened with O_NOFOLLOW (a symlink planted at the name is refused, never followed)
 * and created with O_EXCL; a chunk is written only at the offset the file has reached, so the
 * offset the browser resumes from is what the host really holds.
 */
import { randomBytes } from 'node:crypto';
import { constants, createReadStream, createWriteStream } from 'node:fs';
import { type FileHandle, chmod, link, open, realpath, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { storageCodeOfErrno } from '@vireo/hypervisor';
import {
  type AgentParams,
  IMAGE_EXTENSIONS,
  type ImageFormat,
  type ImageVolume,
  VireoError,
  formatFromName,
} from '@vireo/protocol';
import type { ManagerChannel } from './console-relay.ts';
import { checkImage, refused } from './image-checks.ts';
import { isInside } from './files.ts';
import type { Logger } from './logger.ts';

/**
 * What the store needs of libvirt's storage pools. Backed by the hypervisor's storage facet;
 * tests give a plain directory.
 */
export interface ImagePools {
  /** The pool's target directory (`<target><path>`); NOT_FOUND (object pool) if no such pool. */
  targetPath(pool: string): Promise<string>;
  /** Re-reads the pool's directory, so libvirt lists a file that appeared in it. */
  refresh(pool: string): Promise<void>;
}

export interface ImageStoreDeps {
  pools: ImagePools;
  logger: Logger;
  /** The agent's own ceiling on virtual size; a request's limit can only lower it. */
  maxVirtualBytes: number;
  /** Directories `image.import` may read from (realpath of the source must be inside one). */
  importDirs: readonly string[];
  /** Dials the manager's channel for a chunk's bytes (agent → manager WebSocket). */
  dialChannel: (channelId: string) => Promise<ManagerChannel>;
}

/** Past this many bytes waiting to be written, the channel is paused (backpressure). */
const MAX_PENDING_WRITE = 8 * 1024 * 1024;
const COPY_CHUNK = 1024 * 1024;

const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_RDONLY } = constants;

function storageError(err: unknown, what: string): VireoError {
  if (err instanceof VireoError) return err;
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ELOOP') return refused('symlink', `${what} is a symbolic link; it is not followed.`);
  return new VireoError(storageCodeOfErrno(e.code), `${what}: ${e.message}`, { object: 'image' });
}

/** The file name ending must say the format claimed. */
export function checkNameMatchesFormat(name: string, format: ImageFormat): void {
  if (formatFromName(name) !== format) {
    throw refused(
      'name',
      `the name ${name} does not end in ${IMAGE_EXTENSIONS[format].join(' or ')}, as a ${format} image's name must.`,
    );
  }
}

export class ImageStore {
  /** The chunk being written per upload: one at a time, and status waits for it. */
  private readonly active = new Map<string, Promise<unknown>>();

  constructor(private readonly deps: ImageStoreDeps) {}

  private async poolDir(pool: string): Promise<string> {
    return realpath(await this.deps.pools.targetPath(pool));
  }

  private partPath(dir: string, uploadId: string): string {
    return join(dir, `.upload-${uploadId}.part`);
  }

  async uploadStatus(p: AgentParams<'image.uploadStatus'>): Promise<{ offset: number }> {
    await this.active.get(p.uploadId)?.catch(() => {});
    const dir = await this.poolDir(p.pool);
    try {
      const st = await stat(this.partPath(dir, p.uploadId));
      return { offset: st.size };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { offset: 0 };
      throw storageError(err, 'Cannot read the upload');
    }
  }

  uploadChunk(p: AgentParams<'image.uploadChunk'>): Promise<{ offset: number }> {
    if (this.active.has(p.uploadId)) {
      return Promise.reject(
        new VireoError('BUSY', 'Another chunk of this upload is being written; retry when it ends.', {
          object: 'image',
        }),
      );
    }
    const work = this.writeChunk(p).finally(() => this.active.delete(p.uploadId));
    this.active.set(p.uploadId, work);
    return work;
  }

  /** Opens the part file (creating it for the first chunk), never through a symlink. */
  private async openPart(path: string, offset: number): Promise<FileHandle> {
    let fh: FileHandle;
    try {
      fh =
        offset === 0
          ? await open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600).catch((err: NodeJS.ErrnoException) => {
              if (err.code === 'EEXIST') return open(path, O_WRONLY | O_NOFOLLOW);
              throw err;
            })
          : await open(path, O_WRONLY | O_NOFOLLOW);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT')
        throw new VireoError('CONFLICT', `The host has 0 bytes of this upload; resume from offset 0.`, {
          object: 'image',
        });
      throw storageError(err, 'Cannot open the upload file');
    }
    const st = await fh.stat();
    if (!st.isFile() || st.nlink !== 1) {
      await fh.close();
      throw refused('not a file', 'the upload file was replaced by something other than a plain file.');
    }
    if (st.size !== offset) {
      await fh.close();
      throw new VireoError(
        'CONFLICT',
        `The host has ${st.size} bytes of this upload, not ${offset}; resume from offset ${st.size}.`,
        { object: 'image' },
      );
    }
    return fh;
  }

  private async writeChunk(p: AgentParams<'image.uploadChunk'>): Promise<{ offset: number }> {
    if (p.offset + p.length > p.size)
      throw new VireoError('BAD_INPUT', `The chunk ends at ${p.offset + p.length}, past the size ${p.size}.`);
    const dir = await this.poolDir(p.pool);
    const fh = await this.openPart(this.partPath(dir, p.uploadId), p.offset);
    let pos = p.offset;
    try {
      const channel = await this.deps.dialChannel(p.channelId);
      const ws = channel.ws;
      await new Promise<void>((resolve, reject) => {
        // What arrived and waits to be written: written together (one writev) whenever the
        // previous write ends, so a chunk costs a few system calls, not one per message.
        let queue: Buffer[] = [];
        let queued = 0;
        let received = 0;
        let writing: Promise<void> | null = null;
        let failed: unknown;
        let closed = false;
        const end = pos + p.length;
        const flush = async (): Promise<void> => {
          while (queue.length > 0 && !failed) {
            const batch = queue;
            const bytes = queued;
            queue = [];
            queued = 0;
            if (ws.isPaused) ws.resume();
            try {
              let done = 0;
              while (done < bytes) {
                const { bytesWritten } = await fh.writev(
                  done === 0 ? batch : [Buffer.concat(batch).subarray(done)],
                  pos,
                );
                done += bytesWritten;
                pos += bytesWritten;
              }
            } catch (err) {
              failed = err;
              ws.close(1011, 'write failed');
            }
          }
          writing = null;
          if (pos === end && !closed) ws.close(1000, 'chunk written');
        };
        channel.onMessage((data) => {
          if (failed) return;
          received += data.length;
          if (p.offset + received > end) {
            failed = new VireoError('BAD_INPUT', `The chunk carried more than the ${p.length} bytes announced.`);
            ws.close(1008, 'too many bytes');
            return;
          }
          queue.push(data);
          queued += data.length;
          if (queued > MAX_PENDING_WRITE) ws.pause();
          writing ??= flush();
        });
        // Closed early (the browser went away): what arrived is written; the offset says so.
        ws.on('close', () => {
          closed = true;
          void (writing ?? Promise.resolve()).then(() =>
            failed ? reject(storageError(failed, 'Cannot write the upload')) : resolve(),
          );
        });
        ws.on('error', (err) => {
          this.deps.logger.warn('upload channel error', { uploadId: p.uploadId, err: err.message });
        });
      });
    } finally {
      await fh.close();
    }
    return { offset: pos };
  }

  async uploadAbort(p: AgentParams<'image.uploadAbort'>): Promise<{ removed: boolean }> {
    await this.active.get(p.uploadId)?.catch(() => {});
    const dir = await this.poolDir(p.pool);
    try {
      await unlink(this.partPath(dir, p.uploadId));
      return { removed: true };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { removed: false };
      throw storageError(err, 'Cannot remove the upload');
    }
  }

  async uploadCommit(p: AgentParams<'image.uploadCommit'>): Promise<{ volume: ImageVolume }> {
    if (this.active.has(p.uploadId))
      throw new VireoError('BUSY', 'A chunk of this upload is still being written.', { object: 'image' });
    const dir = await this.poolDir(p.pool);
    const part = this.partPath(dir, p.uploadId);
    const { offset } = await this.uploadStatus(p);
    if (offset !== p.size) {
      throw new VireoError('INVALID_STATE', `The host has ${offset} of ${p.size} bytes; send the rest first.`, {
        object: 'image',
      });
    }
    return { volume: await this.install(p.pool, dir, part, p.name, p.format, p.maxVirtualBytes) };
  }

  /**
   * Checks the part file and links it under its final name; a refused file is removed. link()
   * fails if the name exists, so an existing volume is never overwritten (rename would).
   */
  private async install(
    pool: string,
    dir: string,
    part: string,
    name: string,
    format: ImageFormat,
    maxVirtualBytes: number,
  ): Promise<ImageVolume> {
    const limit = Math.min(maxVirtualBytes, this.deps.maxVirtualBytes);
    const final = join(dir, name);
    let facts: Awaited<ReturnType<typeof checkImage>>;
    try {
      checkNameMatchesFormat(name, format);
      const fh = await open(part, O_RDONLY | O_NOFOLLOW);
      await fh.sync().finally(() => fh.close());
      facts = await checkImage(part, dir, format, limit, name);
      await chmod(part, 0o644);
      await link(part, final);
    } catch (err) {
      await unlink(part).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'ENOENT') this.deps.logger.error('could not remove a refused image', { part, err: e.message });
      });
      if ((err as NodeJS.ErrnoException).code === 'EEXIST')
        throw new VireoError(
          'CONFLICT',
          `A volume named ${name} already exists in pool ${pool}; choose another name.`,
          {
            object: 'image',
          },
        );
      this.deps.logger.warn('image refused and removed', { pool, name, err: (err as Error).message });
      throw storageError(err, `Cannot store ${name}`);
    }
    await unlink(part);
    await this.deps.pools.refresh(pool);
    this.deps.logger.info('image stored', { pool, name, format, virtualBytes: facts.virtualBytes });
    return { pool, name, path: final, ...facts };
  }

  /** Copies a file of this host into the pool (streamed), then checks it like an upload. */
  async importFile(
    p: AgentParams<'image.import'>,
    progress: (percent: number, message?: string) => void,
  ): Promise<{ volume: ImageVolume }> {
    checkNameMatchesFormat(p.name, p.format);
    const dir = await this.poolDir(p.pool);
    let src: FileHandle;
    try {
      src = await open(p.sourcePath, O_RDONLY | O_NOFOLLOW);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT')
        throw new VireoError('NOT_FOUND', `${p.sourcePath} does not exist on this host.`, { object: 'image' });
      throw storageError(err, p.sourcePath);
    }
    const part = join(dir, `.import-${randomBytes(9).toString('hex')}.part`);
    try {
      const st = await src.stat();
      if (!st.isFile()) throw refused('not a file', `${p.sourcePath} is not a regular file (a device or directory).`);
      const real = await realpath(p.sourcePath);
      if (!this.deps.importDirs.some((d) => isInside(d, real)))
        throw refused(
          'import directory',
          `${p.sourcePath} is not inside a directory this host imports from (${this.deps.importDirs.join(', ') || 'none'}; agent setting imageImportDirs).`,
        );
      const out = await open(part, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
      let copied = 0;
      let lastReport = 0;
      const meter = new Transform({
        transform(chunk: Buffer, _enc, done) {
          copied += chunk.length;
          const now = Date.now();
          if (now - lastReport > 500) {
            lastReport = now;
            progress((copied / Math.max(1, st.size)) * 90, `copied ${copied} of ${st.size} bytes`);
          }
          done(null, chunk);
        },
      });
      await pipeline(
        createReadStream('', { fd: src, highWaterMark: COPY_CHUNK, autoClose: false }),
        meter,
        createWriteStream('', { fd: out, highWaterMark: COPY_CHUNK }),
      ).catch((err) => {
        throw storageError(err, `Cannot copy ${p.sourcePath}`);
      });
    } catch (err) {
      await unlink(part).catch(() => {});
      throw err;
    } finally {
      await src.close();
    }
    progress(92, 'checking the image');
    return { volume: await this.install(p.pool, dir, part, p.name, p.format, p.maxVirtualBytes) };
  }
}
