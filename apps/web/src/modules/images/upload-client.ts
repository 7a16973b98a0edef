/**
 * Sends a file's bytes to an upload by chunks (`PUT /api/images/uploads/:id`, Upload-Offset),
 * reading one slice of the File at a time, so the browser never holds the whole image. A chunk
 * that fails on the network (or a 5xx/409) is retried from the offset the server says it has
 * (HEAD), a few times with a growing pause; other refusals end the upload with the server's words.
 * XMLHttpRequest, not fetch: only it reports upload progress.
 */

export const CHUNK_BYTES = 16 * 1024 * 1024;
const MAX_RETRIES = 5;

export interface UploadProgress {
  sent: number;
  total: number;
  /** Bytes per second over the last few seconds. */
  rate: number;
  /** Set while waiting to retry after a failure. */
  retrying?: string;
}

export class UploadError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

const url = (id: string) => `/api/images/uploads/${encodeURIComponent(id)}`;

/** The offset the host has reached. */
export async function serverOffset(uploadId: string, signal?: AbortSignal): Promise<number> {
  const res = await fetch(url(uploadId), { method: 'HEAD', credentials: 'same-origin', cache: 'no-store', signal });
  if (!res.ok)
    throw new UploadError(`The server could not say how far the upload got (HTTP ${res.status}).`, res.status);
  return Number(res.headers.get('upload-offset') ?? 0);
}

function putChunk(
  uploadId: string,
  offset: number,
  blob: Blob,
  signal: AbortSignal,
  onSent: (bytes: number) => void,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', url(uploadId));
    xhr.setRequestHeader('content-type', 'application/octet-stream');
    xhr.setRequestHeader('upload-offset', String(offset));
    xhr.upload.onprogress = (e) => onSent(e.loaded);
    const abort = () => xhr.abort();
    signal.addEventListener('abort', abort, { once: true });
    xhr.onloadend = () => signal.removeEventListener('abort', abort);
    xhr.onload = () => {
      if (xhr.status === 200) return resolve(Number(xhr.getResponseHeader('upload-offset') ?? offset + blob.size));
      let message = `HTTP ${xhr.status}`;
      try {
        message = (JSON.parse(xhr.responseText) as { message?: string }).message ?? message;
      } catch {
        // not JSON: keep the status
      }
      reject(new UploadError(message, xhr.status));
    };
    xhr.onerror = () => reject(new UploadError('The network connection was lost.', 0));
    xhr.onabort = () => reject(new DOMException('Upload cancelled', 'AbortError'));
    xhr.send(blob);
  });
}

/** Worth retrying from the server's offset: the network, the host or a stale offset. */
const retryable = (err: unknown) =>
  err instanceof UploadError && (err.status === 0 || err.status === 409 || err.status >= 500);

/** Bytes per second over a sliding window of a few seconds. */
function rateMeter(windowMs = 3000) {
  const samples: { t: number; bytes: number }[] = [];
  return (bytes: number) => {
    const t = performance.now();
    samples.push({ t, bytes });
    while (samples.length > 2 && t - (samples[0]?.t ?? t) > windowMs) samples.shift();
    const first = samples[0];
    if (!first || t - first.t < 200) return 0;
    return ((bytes - first.bytes) * 1000) / (t - first.t);
  };
}

/** Sends `file` from `from` to its end; resolves when the host has every byte. */
export async function sendFile(opts: {
  file: File;
  uploadId: string;
  from: number;
  signal: AbortSignal;
  onProgress: (p: UploadProgress) => void;
  chunkBytes?: number;
}): Promise<void> {
  const { file, uploadId, signal, onProgress } = opts;
  const chunkBytes = opts.chunkBytes ?? CHUNK_BYTES;
  const rate = rateMeter();
  let offset = opts.from;
  let failures = 0;
  onProgress({ sent: offset, total: file.size, rate: 0 });
  while (offset < file.size) {
    const end = Math.min(file.size, offset + chunkBytes);
    const start = offset;
    try {
      offset = await putChunk(uploadId, start, file.slice(start, end), signal, (n) =>
        onProgress({ sent: start + n, total: file.size, rate: rate(start + n) }),
      );
      failures = 0;
    } catch (err) {
      if (signal.aborted || !retryable(err) || ++failures > MAX_RETRIES) throw err;
      const waitMs = 500 * 2 ** (failures - 1);
      onProgress({
        sent: start,
        total: file.size,
        rate: 0,
        retrying: `${(err as Error).message} Retrying in ${Math.round(waitMs / 1000)} s (${failures} of ${MAX_RETRIES})…`,
      });
      await new Promise((r) => setTimeout(r, waitMs));
      // Resume from what the host really has (part of the failed chunk may have arrived).
      offset = await serverOffset(uploadId, signal).catch(() => start);
    }
  }
  onProgress({ sent: file.size, total: file.size, rate: rate(file.size) });
}

/** Where an upload of this file (same name, size, date) is remembered, to resume it later. */
export const resumeKey = (file: File, hostId: string, pool: string) =>
  `vireo-upload:${hostId}:${pool}:${file.name}:${file.size}:${file.lastModified}`;
