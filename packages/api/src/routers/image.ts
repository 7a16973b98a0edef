/**
 * Images (admins only): uploads from the browser (create, then chunks over HTTP PUT at
 * /api/images/uploads/:id, see edge/image-upload.ts, then commit) and imports from a host path.
 */
import { imageFormatSchema, poolNameSchema, volumeNameSchema } from '@vireo/protocol';
import { z } from 'zod';
import {
  cancelUpload,
  commitUpload,
  createUpload,
  importImage,
  maxUploadBytes,
  maxVirtualBytes,
  recentUploads,
  uploadById,
  uploadOffset,
} from '../services/images.ts';
import { adminProcedure, router } from '../trpc.ts';

const id = z.string().min(1).max(64);

export const imageRouter = router({
  /** The limits the server applies, for the form to say up front. */
  limits: adminProcedure.query(() => ({ maxUploadBytes: maxUploadBytes(), maxVirtualBytes: maxVirtualBytes() })),
  uploads: adminProcedure.query(() => recentUploads()),
  /** An upload and the offset its host has reached (to resume from). */
  upload: adminProcedure.input(z.object({ uploadId: id })).query(async ({ input }) => {
    const upload = await uploadById(input.uploadId);
    return { upload, offset: await uploadOffset(upload) };
  }),
  createUpload: adminProcedure
    .input(
      z.object({
        hostId: id,
        pool: poolNameSchema,
        name: volumeNameSchema,
        format: imageFormatSchema,
        sizeBytes: z.number().int().positive(),
      }),
    )
    .mutation(({ ctx, input }) => createUpload(input, ctx.user)),
  commitUpload: adminProcedure.input(z.object({ uploadId: id })).mutation(({ input }) => commitUpload(input.uploadId)),
  cancelUpload: adminProcedure.input(z.object({ uploadId: id })).mutation(({ input }) => cancelUpload(input.uploadId)),
  /** Copies a file on the host into a pool (a task with progress), then checks it. */
  import: adminProcedure
    .input(
      z.object({
        hostId: id,
        sourcePath: z
          .string()
          .regex(/^\/[^\0]*$/, 'must be an absolute path')
          .max(4096),
        pool: poolNameSchema,
        name: volumeNameSchema,
        format: imageFormatSchema,
      }),
    )
    .mutation(({ ctx, input }) => importImage(input, ctx.user)),
});
