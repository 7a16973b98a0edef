/**
 * Upload throughput benchmark (issue 6): the same file uploaded through the manager to a pool on
 * a lab host (browser path: PUT chunks → manager → agent channel → part file, then the checks and
 * the move into the pool) against `cp` of it into the same pool directory. Goal: ≥ 0.8 of cp.
 *
 *   VIREO_URL=http://127.0.0.1:3105 VIREO_ADMIN_PASSWORD=… VIREO_LAB_JSON=var/<stack>/lab.json \
 *     npx tsx scripts/bench-upload.ts
 *
 * BENCH_MIB (512) file size, BENCH_CHUNK_MIB (64) chunk size, BENCH_RUNS (3) runs of each; the
 * file is a raw image of random bytes in the lab's shared directory. cp is timed with and without
 * an fsync of the copy (the upload fsyncs before its checks).
 */
import { execFileSync } from 'node:child_process';
import { createReadStream, readFileSync } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { createTRPCClient, httpBatchLink } from '@trpc/client';
import type { AppRouter } from '@vireo/api';

const url = process.env.VIREO_URL ?? 'http://127.0.0.1:3000';
const MIB = 1024 * 1024;
const SIZE_MIB = Number(process.env.BENCH_MIB ?? 512);
const CHUNK = Number(process.env.BENCH_CHUNK_MIB ?? 64) * MIB;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const labJson = process.env.VIREO_LAB_JSON;
if (!labJson) throw new Error('Set VIREO_LAB_JSON to the lab.json of the running stack.');
const lab = JSON.parse(readFileSync(labJson, 'utf8')) as {
  sharedDir: string;
  hosts: { name: string; pid: number }[];
};
const host = lab.hosts[0];
if (!host) throw new Error('The lab has no hosts.');

let cookie = '';
const api = createTRPCClient<AppRouter>({
  links: [
    httpBatchLink({
      url: `${url}/api/trpc`,
      fetch: async (input, init) => {
        const headers = new Headers(init?.headers);
        if (cookie) headers.set('cookie', cookie);
        // An idle keep-alive connection the server closed at the same moment (its 5 s timeout,
        // reached while the chunks went over another connection) fails at once: send again, as
        // browsers do on a reused connection.
        const res = await fetch(input, { ...init, headers }).catch(() => fetch(input, { ...init, headers }));
        for (const c of res.headers.getSetCookie()) if (c.startsWith('vireo_session=')) cookie = c.split(';')[0] ?? '';
        return res;
      },
    }),
  ],
});

const inHost = (...cmd: string[]) =>
  execFileSync('nsenter', ['-t', String(host.pid), '-m', '-n', ...cmd], { encoding: 'utf8' });
const virsh = (...args: string[]) => inHost('virsh', '-q', '-c', 'qemu:///system', ...args);

/** One chunk, streamed from the file (never read whole). */
function putChunk(uploadId: string, file: string, offset: number, length: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const u = new URL(`/api/images/uploads/${uploadId}`, url);
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method: 'PUT',
        headers: {
          cookie,
          origin: url,
          'content-type': 'application/octet-stream',
          'content-length': String(length),
          'upload-offset': String(offset),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode === 200 ? resolve() : reject(new Error(`PUT at ${offset}: HTTP ${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
    createReadStream(file, { start: offset, end: offset + length - 1, highWaterMark: MIB }).pipe(req);
  });
}

const seconds = (t0: number) => (performance.now() - t0) / 1000;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

await api.auth.login.mutate({ username: 'admin', password: process.env.VIREO_ADMIN_PASSWORD ?? '' });
const hostId = (await api.host.list.query()).find((h) => h.name === host.name)?.id;
if (!hostId) throw new Error(`Host ${host.name} is not enrolled.`);

const pool = `bench${Date.now().toString(36)}`;
const poolDir = join(lab.sharedDir, `pool-${pool}`);
const source = join(lab.sharedDir, `bench-upload-${pool}.img`);
virsh('pool-define-as', pool, 'dir', '--target', poolDir);
virsh('pool-build', pool);
virsh('pool-start', pool);
await mkdir(poolDir, { recursive: true });
execFileSync('dd', ['if=/dev/urandom', `of=${source}`, 'bs=1M', `count=${SIZE_MIB}`, 'status=none']);
const size = (await stat(source)).size;
const rate = (s: number) => size / MIB / s;

const cp: number[] = [];
const cpSync: number[] = [];
const transfer: number[] = [];
const total: number[] = [];
try {
  for (let run = 0; run < RUNS; run++) {
    execFileSync('sync');
    let t0 = performance.now();
    inHost('cp', source, join(poolDir, `cp-${run}.img`));
    cp.push(seconds(t0));
    execFileSync('sync');
    t0 = performance.now();
    inHost('cp', source, join(poolDir, `cps-${run}.img`));
    inHost('sync', join(poolDir, `cps-${run}.img`));
    cpSync.push(seconds(t0));
    execFileSync('sync');

    t0 = performance.now();
    const upload = await api.image.createUpload.mutate({
      hostId,
      pool,
      name: `up-${run}.img`,
      format: 'raw',
      sizeBytes: size,
    });
    for (let offset = 0; offset < size; offset += CHUNK) {
      await putChunk(upload.id, source, offset, Math.min(CHUNK, size - offset));
    }
    transfer.push(seconds(t0));
    await api.image.commitUpload.mutate({ uploadId: upload.id });
    total.push(seconds(t0));
  }
} finally {
  virsh('pool-destroy', pool);
  virsh('pool-undefine', pool);
  await rm(poolDir, { recursive: true, force: true });
  await rm(source, { force: true });
}

const line = (what: string, xs: number[]) =>
  console.log(
    `${what.padEnd(40)} ${median(xs).toFixed(2).padStart(6)} s  ${rate(median(xs)).toFixed(0).padStart(5)} MiB/s`,
  );
console.log(`upload benchmark: ${SIZE_MIB} MiB raw image, ${CHUNK / MIB} MiB chunks, median of ${RUNS} runs`);
line('cp into the pool dir', cp);
line('cp + fsync of the copy', cpSync);
line('upload: bytes sent (PUT chunks)', transfer);
line('upload: sent + checked + in the pool', total);
console.log(`ratio upload (sent) / cp:            ${(median(cp) / median(transfer)).toFixed(2)}`);
console.log(`ratio upload (complete) / cp+fsync:  ${(median(cpSync) / median(total)).toFixed(2)}`);
