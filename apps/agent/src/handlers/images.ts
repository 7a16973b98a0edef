/**
 * Image requests: upload chunks, status, commit, cancel, import. The work is the image store's
 * (image-store.ts); an agent built without one (unit tests of other handlers) refuses them.
 */
import { type AgentParams, type AgentResult, VireoError } from '@vireo/protocol';
import type { ImageStore } from '../image-store.ts';
import type { Operation } from '../jobs.ts';

type ImageMethod =
  | 'image.uploadChunk'
  | 'image.uploadStatus'
  | 'image.uploadCommit'
  | 'image.uploadAbort'
  | 'image.import';
type Handler<M extends ImageMethod> = (params: AgentParams<M>, op: Operation) => Promise<AgentResult<M>>;

export function imageHandlers(store: ImageStore | undefined): { [M in ImageMethod]: Handler<M> } {
  const need = (): ImageStore => {
    if (!store) throw new VireoError('INVALID_STATE', 'This agent does not take images.', { object: 'image' });
    return store;
  };
  return {
    'image.uploadChunk': async (p) => need().uploadChunk(p),
    'image.uploadStatus': async (p) => need().uploadStatus(p),
    'image.uploadCommit': async (p) => need().uploadCommit(p),
    'image.uploadAbort': async (p) => need().uploadAbort(p),
    'image.import': async (p, op) => need().importFile(p, op.progress),
  };
}
