/**
 * An upload chunk's bytes, pulled by the agent from the manager it is connected to as one plain
 * HTTP response body (`GET /api/agent/upload-chunk?channel=<id>`, the agent's bearer). One TCP
 * stream parsed in C (llhttp), no WebSocket framing or reassembly: the manager pipes the
 * browser's PUT body straight into this response.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { AGENT_UPLOAD_PULL_PATH, VireoError } from '@vireo/protocol';

export interface UploadPullDeps {
  /** The manager connected to now, as its WebSocket base (ws://m:3000 or wss://…). */
  wsBase: () => string;
  bearer: () => string | undefined;
  connectTimeoutMs?: number;
}

/** ws://m:3000 → http://m:3000; wss → https. */
export const httpBaseOf = (wsBase: string) => wsBase.replace(/^ws(s?):/, 'http$1:');

/**
 * Resolves with the response (its body is the chunk) once the manager answered 200 with a
 * Content-Length of `length`; the HTTP parser then never lets more than that through.
 */
export function pullChunk(deps: UploadPullDeps, channelId: string, length: number): Promise<IncomingMessage> {
  const bearer = deps.bearer();
  if (!bearer) return Promise.reject(new VireoError('UNAUTHORIZED', 'The agent has no credential yet.'));
  const url = new URL(AGENT_UPLOAD_PULL_PATH, httpBaseOf(deps.wsBase()));
  url.searchParams.set('channel', channelId);
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', headers: { authorization: `Bearer ${bearer}` } }, (res) => {
      clearTimeout(timer);
      if (res.statusCode !== 200 || Number(res.headers['content-length']) !== length) {
        res.resume();
        reject(
          new VireoError(
            'TICKET_INVALID',
            res.statusCode === 200
              ? `The manager offered ${res.headers['content-length']} bytes for a chunk of ${length}.`
              : `The manager refused the upload channel (HTTP ${res.statusCode}).`,
          ),
        );
        return;
      }
      resolve(res);
    });
    const timer = setTimeout(() => req.destroy(new Error('no answer in time')), deps.connectTimeoutMs ?? 10_000);
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(new VireoError('HOST_UNREACHABLE', `Cannot pull the upload chunk from the manager: ${err.message}`));
    });
    req.end();
  });
}
