/**
 * Checks generated XML against libvirt's own RNG schemas before libvirt ever sees it.
 *
 * `virt-xml-validate` (libvirt-clients) is a shell script around `xmllint --relaxng`: a spawn of
 * bash and xmllint per call, 100-200 ms on a loaded host, on the path of every VM create.
 * libvirt would check the schema itself with VIR_DOMAIN_DEFINE_VALIDATE, but libvirt-dbus 1.4.1's
 * DomainDefineXML has no flags argument (storage calls do: ops/storage.ts uses their flags).
 * So validateXml keeps one `xmllint --shell` per process and asks it to `load` the document and
 * check it with `relaxng <schema>`: the same libxml2 and the same schema files as
 * virt-xml-validate, the same verdict and messages (test/validate-xml.test.ts compares them),
 * without a spawn per call. validateXmlSpawn is the old way, kept for that comparison.
 */
import { type ChildProcessWithoutNullStreams, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { VireoError } from '@vireo/protocol';

const run = promisify(execFile);

export type XmlSchema = 'domain' | 'capability' | 'storagepool' | 'storagevol' | 'network' | 'nwfilter';

const SCHEMA_DIR = '/usr/share/libvirt/schemas';
const TIMEOUT_MS = 30_000;

function refusal(schema: XmlSchema, detail: string): VireoError {
  return new VireoError('BAD_INPUT', `The generated ${schema} XML does not match libvirt's schema: ${detail}`);
}

const notInstalled = (tool: string, pkg: string) =>
  new VireoError('INTERNAL', `${tool} is not installed (package ${pkg}).`);

/** One `virt-xml-validate` run per call (the reference the shell validator is compared with). */
export async function validateXmlSpawn(xml: string, schema: XmlSchema = 'domain'): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'vireo-xml-'));
  const file = join(dir, `${schema}.xml`);
  try {
    await writeFile(file, xml, { mode: 0o600 });
    await run('virt-xml-validate', [file, schema], { timeout: TIMEOUT_MS });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string; stdout?: string };
    if (e.code === 'ENOENT') throw notInstalled('virt-xml-validate', 'libvirt-clients');
    const detail = `${e.stderr ?? ''}${e.stdout ?? ''}`.replaceAll(file, schema).trim() || e.message;
    throw refusal(schema, detail);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * A long-lived `xmllint --shell`. Requests are served one at a time. Every message of a request
 * (parser errors, validity errors, the verdict) comes on stderr, in order; after the request the
 * shell is asked to load a file that cannot exist, whose error marks the end of the request's
 * output. A document that does not parse leaves the previous one loaded, so only the verdict
 * naming this request's own file ("<file> validates") counts as valid.
 */
class XmllintShell {
  private proc: ChildProcessWithoutNullStreams | undefined;
  private dir: Promise<string> | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private seq = 0;
  private stderr = '';
  private waiter: { marker: string; done: (out: string) => void; fail: (e: Error) => void } | undefined;

  validate(xml: string, schema: XmlSchema): Promise<void> {
    const work = this.queue.then(() => this.once(xml, schema));
    this.queue = work.catch(() => {});
    return work;
  }

  /** `first`: a document to open (without one, xmllint would read its document from stdin). */
  private start(first: string): ChildProcessWithoutNullStreams {
    const proc = spawn('xmllint', ['--shell', first], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.stderr = '';
    proc.stdout.on('data', () => {}); // prompts only
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (d: string) => {
      if (this.proc !== proc) return; // a replaced shell's last words
      this.stderr += d;
      const w = this.waiter;
      const at = w ? this.stderr.indexOf(w.marker) : -1;
      const eol = at < 0 ? -1 : this.stderr.indexOf('\n', at);
      if (!w || eol < 0) return;
      const out = this.stderr.slice(0, at);
      this.stderr = this.stderr.slice(eol + 1);
      this.waiter = undefined;
      w.done(out);
    });
    const gone = (err: Error) => {
      if (this.proc !== proc) return;
      this.proc = undefined;
      const w = this.waiter;
      this.waiter = undefined;
      w?.fail(err);
    };
    proc.on('error', (err: NodeJS.ErrnoException) =>
      gone(err.code === 'ENOENT' ? notInstalled('xmllint', 'libxml2-utils') : err),
    );
    proc.on('exit', (code, signal) => gone(new Error(`xmllint --shell exited (${signal ?? code})`)));
    proc.stdin.on('error', () => {}); // reported by 'exit'
    this.idle(proc);
    return proc;
  }

  /** An idle validator must not keep the process alive; a busy one must (its caller waits). */
  private idle(proc: ChildProcessWithoutNullStreams, busy = false): void {
    for (const h of [proc, proc.stdin, proc.stdout, proc.stderr] as { ref(): void; unref(): void }[]) {
      if (busy) h.ref();
      else h.unref();
    }
  }

  private async once(xml: string, schema: XmlSchema): Promise<void> {
    this.dir ??= mkdtemp(join(tmpdir(), 'vireo-xmllint-')).then(async (d) => {
      await writeFile(join(d, 'first.xml'), '<first/>\n', { mode: 0o600 });
      return d;
    });
    const dir = await this.dir.catch((err) => {
      this.dir = undefined;
      throw err;
    });
    const n = ++this.seq;
    const file = join(dir, `${n}.${schema}.xml`);
    const marker = join(dir, `end-${n}-of-request`);
    await writeFile(file, xml, { mode: 0o600 });
    this.proc ??= this.start(join(dir, 'first.xml'));
    const proc = this.proc;
    this.idle(proc, true);
    let timer: NodeJS.Timeout | undefined;
    try {
      const out = await new Promise<string>((done, fail) => {
        this.waiter = { marker, done, fail };
        timer = setTimeout(() => {
          this.proc = undefined; // the next call starts a new shell
          this.waiter = undefined;
          proc.kill('SIGKILL');
          fail(new Error(`xmllint --shell did not answer within ${TIMEOUT_MS} ms`));
        }, TIMEOUT_MS);
        proc.stdin.write(`load ${file}\nrelaxng ${join(SCHEMA_DIR, `${schema}.rng`)}\nload ${marker}\n`);
      });
      // The marker's own error line begins before it (e.g. "I/O error : failed to load … \"").
      const text = out.slice(0, out.lastIndexOf('\n') + 1);
      // The verdict is the last line (a parse error's context line, which echoes the document, comes before it).
      if (text.trimEnd().split('\n').at(-1) === `${file} validates`) return;
      // Lines naming another file are about the previous document, still loaded after a parse error.
      const detail = text
        .split('\n')
        .filter((line) => line.trim() !== '' && !/ (validates|fails to validate)$/.test(line))
        .map((line) => line.replaceAll(file, schema))
        .filter((line) => !line.includes(dir))
        .join('\n')
        .trim();
      throw refusal(schema, detail || 'the document does not validate');
    } catch (err) {
      if (err instanceof VireoError) throw err;
      throw new VireoError('INTERNAL', `Could not check the ${schema} XML: ${(err as Error).message}`);
    } finally {
      clearTimeout(timer);
      if (this.proc === proc) this.idle(proc);
      await rm(file, { force: true });
    }
  }
}

const shell = new XmllintShell();

export function validateXml(xml: string, schema: XmlSchema = 'domain'): Promise<void> {
  return shell.validate(xml, schema);
}
