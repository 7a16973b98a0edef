/**
 * The bytes of an image upload: `PUT /api/images/uploads/:id` with `Upload-Offset: <n>` and a
 * body of at most MAX_UPLOAD_CHUNK bytes (Content-Length required) appends a chunk; `HEAD` (or
 * `GET`) answers the offset the host has reached in `Upload-Offset`, which is where a browser
 * resumes after a network loss. Creating, committing and cancelling an upload are tRPC mutations
 * (routers/image.ts). Admins only; a PUT passes the same origin check as every mutation.
 *
 * A chunk is never held whole: the manager asks the pool's agent to dial back a channel (as for a
 * console; through the manager holding the agent when that is another one) and pipes the request
 * body into it, pausing the request while the channel's send buffer is full.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ErrorCode, toErrorPayload, uploadIdSchema, VireoError } from '@vireo/protocol';
import type { WebSocket } from 'ws';
import { sessionFromRequest } from '../context.ts';
import { auditEntry, recordAudit } from '../services/audit/record.ts';
import { clientInfo } from './client-info.ts';
import { hostAgent } from '../services/agent-router.ts';
import { uploadById, uploadOffset } from '../services/images.ts';
import { expectAgentConsole } from './console-proxy.ts';
import { csrfRefusal, refuseUnread, sendJson } from './http-guards.ts';

export const IMAGE_UPLOAD_PREFIX = '/api/images/uploads/';
/** The largest chunk one PUT may carry; the UI sends 16 MiB. */
export const MAX_UPLOAD_CHUNK = 64 * 1024 * 1024;
/** Past this many bytes sent to the channel but not yet written to its socket, stop reading. */
const HIGH_WATER = 4 * 1024 * 1024;
const LOW_WATER = 1024 * 1024;

const STATUS: Partial<Record<ErrorCode, number>> = {
  BAD_INPUT: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  BUSY: 409,
  INVALID_STATE: 409,
  PAYLOAD_TOO_LARGE: 413,
  HOST_OFFLINE: 503,
  HOST_UNREACHABLE: 503,
  TIMEOUT: 504,
  STORAGE_NO_SPACE: 507,
};

const statusOf = (code: ErrorCode) => STATUS[code] ?? 500;

/** The body is raw bytes: a form cannot send a PUT, and a cross-origin script would need a preflight. */
const isOctetStream = (v: string | undefined) =>
  (v ?? '').split(';', 1)[0]?.trim().toLowerCase() === 'application/octet-stream';

export async function handleImageUpload(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  allowedOrigins: readonly string[],
): Promise<void> {
  const fail = (err: unknown, extra: Record<string, string> = {}) => {
    const payload = toErrorPayload(err);
    if (payload.code === 'INTERNAL') console.error('image upload failed', err);
    const body = payload.code === 'INTERNAL' ? { code: 'INTERNAL', message: 'Internal error.' } : payload;
    if (req.complete || req.method === 'HEAD' || req.method === 'GET')
      sendJson(res, statusOf(payload.code), body, extra);
    else refuseUnread(req, res, statusOf(payload.code), body);
  };
  const id = uploadIdSchema.safeParse(path.slice(IMAGE_UPLOAD_PREFIX.length));
  if (!id.success) return fail(new VireoError('NOT_FOUND', 'No such upload.', { object: 'image' }));
  if (req.method === 'PUT') {
    const refusal = csrfRefusal(req, allowedOrigins, isOctetStream);
    if (refusal) {
      return refuseUnread(req, res, refusal.status, {
        code: refusal.status === 415 ? 'BAD_INPUT' : 'FORBIDDEN',
        message: refusal.status === 415 ? 'Send the chunk as application/octet-stream.' : refusal.message,
      });
    }
  } else if (req.method !== 'HEAD' && req.method !== 'GET') {
    res.setHeader('allow', 'GET, HEAD, PUT');
    return fail(new VireoError('BAD_INPUT', 'Use GET, HEAD or PUT.'));
  }
  // A refused chunk is audited; accepted ones are not (one per 16 MiB would bury the log): the
  // upload's create, commit and cancel are tRPC mutations, audited there.
  const started = performance.now();
  let found: Awaited<ReturnType<typeof sessionFromRequest>> = null;
  const auditRefused = (err: unknown) =>
    req.method === 'PUT'
      ? recordAudit(
          auditEntry(
            {
              userId: found?.user.id ?? null,
              username: found?.user.username ?? null,
              auth: found ? { kind: 'session' } : null,
              address: clientInfo(req).address,
            },
            'image.uploadChunk',
            { uploadId: id.data, offset: req.headers['upload-offset'] ?? null },
            { ok: false, error: err },
            performance.now() - started,
          ),
        )
      : Promise.resolve();
  try {
    found = await sessionFromRequest(req);
    if (!found) throw new VireoError('UNAUTHORIZED', 'Log in first.');
    if (found.user.role !== 'admin') throw new VireoError('FORBIDDEN', 'Only admins upload images.');
    const upload = await uploadById(id.data);
    if (req.method !== 'PUT') {
      const offset = await uploadOffset(upload);
      const headers = {
        'upload-offset': String(offset),
        'upload-length': String(upload.sizeBytes),
        'cache-control': 'no-store',
      };
      if (req.method === 'HEAD') {
        res.writeHead(200, headers);
        res.end();
        return;
      }
      return sendJson(res, 200, { offset, size: upload.sizeBytes, state: upload.state }, headers);
    }
    if (upload.state !== 'open')
      throw new VireoError('INVALID_STATE', `The upload is ${upload.state}; it takes no more bytes.`, {
        object: 'image',
      });
    const length = Number(req.headers['content-length']);
    const offset = Number(req.headers['upload-offset']);
    if (!Number.isSafeInteger(length) || length <= 0)
      throw new VireoError('BAD_INPUT', 'Send a Content-Length (a chunk of at least one byte).');
    if (length > MAX_UPLOAD_CHUNK)
      throw new VireoError('PAYLOAD_TOO_LARGE', `A chunk may carry at most ${MAX_UPLOAD_CHUNK} bytes.`);
    if (!Number.isSafeInteger(offset) || offset < 0) throw new VireoError('BAD_INPUT', 'Send Upload-Offset: <bytes>.');
    if (offset + length > upload.sizeBytes)
      throw new VireoError(
        'BAD_INPUT',
        `The chunk ends at ${offset + length}, past the upload's ${upload.sizeBytes} bytes.`,
      );
    const result = await sendChunk(req, upload, offset, length);
    sendJson(res, 200, result, { 'upload-offset': String(result.offset) });
  } catch (err) {
    fail(err);
    await auditRefused(err);
  }
}

async function sendChunk(
  req: IncomingMessage,
  upload: Awaited<ReturnType<typeof uploadById>>,
  offset: number,
  length: number,
): Promise<{ offset: number }> {
  const channelId = randomBytes(18).toString('base64url');
  expectAgentConsole(channelId, upload.hostId, (ws) => pump(req, ws));
  const agent = await hostAgent(upload.hostId, upload.hostName ?? upload.hostId);
  return agent.request(
    'image.uploadChunk',
    { uploadId: upload.id, pool: upload.pool, offset, length, size: upload.sizeBytes, channelId },
    // The slowest browser we wait for: 256 KiB/s, plus the dial-back.
    { timeoutMs: 60_000 + Math.ceil(length / (256 * 1024)) * 1000 },
  );
}

/** Request body → channel, pausing the request while the channel's buffer is full. */
function pump(req: IncomingMessage, ws: WebSocket): void {
  let queued = 0;
  let paused = false;
  req.on('data', (chunk: Buffer) => {
    if (ws.readyState !== ws.OPEN) return;
    queued += chunk.length;
    ws.send(chunk, { binary: true }, () => {
      queued -= chunk.length;
      if (paused && queued < LOW_WATER) {
        paused = false;
        req.resume();
      }
    });
    if (!paused && queued > HIGH_WATER) {
      paused = true;
      req.pause();
    }
  });
  // The browser went away mid-chunk: the host keeps what arrived and says how far it got.
  req.on('close', () => {
    if (!req.complete && ws.readyState === ws.OPEN) ws.close(1001, 'client went away');
  });
  ws.on('error', () => ws.terminate());
}
