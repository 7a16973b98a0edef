/**
 * Uploading an image as the browser does: create the upload (tRPC), PUT its bytes by chunks
 * with Upload-Offset, HEAD for the offset the host reached, commit. Also makes a lab pool.
 */
import { open } from 'node:fs/promises';
import type { Api } from './api.ts';
import { baseUrl } from './api.ts';
import { type LabHost, virsh } from './lab.ts';

export interface Uploader {
  api: Api;
  cookie: () => string;
}

export const chunkUrl = (uploadId: string, url = baseUrl()) => `${url}/api/images/uploads/${uploadId}`;

export async function putChunk(
  u: Uploader,
  uploadId: string,
  offset: number,
  body: Buffer,
  url = baseUrl(),
): Promise<{ status: number; offset: number; body: string }> {
  const res = await fetch(chunkUrl(uploadId, url), {
    method: 'PUT',
    headers: {
      cookie: u.cookie(),
      origin: url,
      'content-type': 'application/octet-stream',
      'upload-offset': String(offset),
    },
    body: new Blob([new Uint8Array(body)]),
  });
  return { status: res.status, offset: Number(res.headers.get('upload-offset') ?? -1), body: await res.text() };
}

/** The offset the host has reached (HEAD). */
export async function uploadOffset(u: Uploader, uploadId: string, url = baseUrl()): Promise<number> {
  const res = await fetch(chunkUrl(uploadId, url), { method: 'HEAD', headers: { cookie: u.cookie() } });
  if (!res.ok) throw new Error(`HEAD ${uploadId}: HTTP ${res.status}`);
  return Number(res.headers.get('upload-offset'));
}

/** Sends the file from `from` to its end, chunk by chunk, reading it piecewise (never whole). */
export async function sendFile(u: Uploader, uploadId: string, path: string, from = 0, chunkBytes = 8 * 1024 * 1024) {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    let offset = from;
    while (offset < size) {
      const buf = Buffer.alloc(Math.min(chunkBytes, size - offset));
      await fh.read(buf, 0, buf.length, offset);
      const r = await putChunk(u, uploadId, offset, buf);
      if (r.status !== 200) throw new Error(`PUT at ${offset}: HTTP ${r.status} ${r.body}`);
      offset = r.offset;
    }
  } finally {
    await fh.close();
  }
}

/** A started dir pool on a lab host (idempotent). */
export async function labPool(host: LabHost, name: string, path: string): Promise<void> {
  const info = await virsh(host, 'pool-info', name);
  if (info.code !== 0) {
    const def = await virsh(host, 'pool-define-as', name, 'dir', '--target', path);
    if (def.code !== 0) throw new Error(`pool-define-as: ${def.stderr}`);
    await virsh(host, 'pool-build', name);
  }
  if (!/State:\s+running/.test((await virsh(host, 'pool-info', name)).stdout)) {
    const start = await virsh(host, 'pool-start', name);
    if (start.code !== 0) throw new Error(`pool-start: ${start.stderr}`);
  }
}

/** Removes a lab pool made by labPool (the directory and files stay for the caller to remove). */
export async function dropLabPool(host: LabHost, name: string): Promise<void> {
  await virsh(host, 'pool-destroy', name);
  await virsh(host, 'pool-undefine', name);
}
