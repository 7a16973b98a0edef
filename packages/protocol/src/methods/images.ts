/**
 * Image upload and import requests (manager → agent). An upload is written by chunks to
 * `<pool dir>/.upload-<id>.part`; the offset reached is the part file's size, which the agent
 * alone knows, so a browser resumes from what the host really has. The bytes of a chunk travel on
 * a channel the agent dials back (like a console), not on the agent's message link.
 */
import { z } from 'zod';
import { poolNameSchema, volumeNameSchema } from './storage.ts';

export const IMAGE_FORMATS = ['qcow2', 'raw', 'iso'] as const;
export const imageFormatSchema = z.enum(IMAGE_FORMATS);
export type ImageFormat = z.infer<typeof imageFormatSchema>;

/** File name endings each format may have: a name must say what the file is. */
export const IMAGE_EXTENSIONS: Record<ImageFormat, readonly string[]> = {
  qcow2: ['.qcow2'],
  raw: ['.img', '.raw'],
  iso: ['.iso'],
};

/** The format a file name claims by its ending, or undefined. */
export function formatFromName(name: string): ImageFormat | undefined {
  const lower = name.toLowerCase();
  return IMAGE_FORMATS.find((f) => IMAGE_EXTENSIONS[f].some((ext) => lower.endsWith(ext)));
}

/** Upload ids are the manager's record ids (cuid). */
export const uploadIdSchema = z.string().regex(/^[a-z0-9]{8,40}$/, 'not an upload id');

const absolutePath = z
  .string()
  .regex(/^\/[^\0]*$/, 'must be an absolute path')
  .max(4096);

/** What the checks found in an image that was accepted. */
export const imageVolumeSchema = z.object({
  pool: z.string(),
  name: z.string(),
  path: z.string(),
  format: imageFormatSchema,
  virtualBytes: z.number().int().nonnegative(),
  allocationBytes: z.number().int().nonnegative(),
});
export type ImageVolume = z.infer<typeof imageVolumeSchema>;

const uploadRef = z.object({ uploadId: uploadIdSchema, pool: poolNameSchema });
const checkLimits = z.object({
  /** The manager's limit on virtual size; the agent applies the lower of it and its own. */
  maxVirtualBytes: z.number().int().positive(),
});

export const imageRequests = {
  /**
   * Append `length` bytes at `offset` (must equal the part file's size) to the upload's part
   * file; the bytes arrive on a WebSocket the agent dials back with `channelId`. A channel closed
   * early leaves what arrived written: the reply's offset says how far it got.
   */
  'image.uploadChunk': {
    params: uploadRef.extend({
      offset: z.number().int().nonnegative(),
      length: z.number().int().positive(),
      /** The whole upload's size: a chunk may not go past it. */
      size: z.number().int().positive(),
      channelId: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/),
    }),
    result: z.object({ offset: z.number().int().nonnegative() }),
  },
  /** How many bytes of the upload the host has (0 if nothing yet). Waits for a chunk being written. */
  'image.uploadStatus': {
    params: uploadRef,
    result: z.object({ offset: z.number().int().nonnegative() }),
  },
  /** Check the complete part file and move it into the pool as `name`; refused files are removed. */
  'image.uploadCommit': {
    params: uploadRef.merge(checkLimits).extend({
      name: volumeNameSchema,
      format: imageFormatSchema,
      size: z.number().int().positive(),
    }),
    result: z.object({ volume: imageVolumeSchema }),
  },
  /** Remove the upload's part file (cancel). */
  'image.uploadAbort': {
    params: uploadRef,
    result: z.object({ removed: z.boolean() }),
  },
  /** Copy a file on the host into the pool as `name` (streamed, progress reported), then check it. */
  'image.import': {
    params: checkLimits.extend({
      sourcePath: absolutePath,
      pool: poolNameSchema,
      name: volumeNameSchema,
      format: imageFormatSchema,
    }),
    result: z.object({ volume: imageVolumeSchema }),
  },
} as const;
