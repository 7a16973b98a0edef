import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VireoError } from '@vireo/protocol';
import { buildVolumeXml } from '../src/ops/storage-xml.ts';
import { type XmlSchema, validateXml, validateXmlSpawn } from '../src/validate-xml.ts';

const domain = (inner: string) =>
  `<domain type='qemu'><name>t</name><memory unit='MiB'>64</memory><os><type arch='x86_64'>hvm</type></os>${inner}</domain>`;
const disk = `<devices><disk type='file' device='disk'><source file='/v/a.qcow2'/><target dev='vda' bus='virtio'/></disk></devices>`;

const cases: { label: string; schema: XmlSchema; xml: string; valid: boolean }[] = [
  { label: 'a valid domain', schema: 'domain', xml: domain(disk), valid: true },
  { label: 'an unknown element', schema: 'domain', xml: domain('<bogus/>'), valid: false },
  { label: 'a bad attribute value', schema: 'domain', xml: domain(disk.replace('virtio', 'nonsense')), valid: false },
  { label: 'truncated XML', schema: 'domain', xml: domain(disk).slice(0, 60), valid: false },
  { label: 'not XML at all', schema: 'domain', xml: 'hello', valid: false },
  {
    label: 'a valid volume',
    schema: 'storagevol',
    xml: buildVolumeXml({ name: 'a.qcow2', format: 'qcow2', capacityBytes: 1024 }),
    valid: true,
  },
  { label: 'a domain checked as a volume', schema: 'storagevol', xml: domain(disk), valid: false },
];

/** The verdict and the message, or 'valid'. */
const outcome = (p: Promise<void>) =>
  p.then(
    () => 'valid',
    (e: unknown) => {
      assert.ok(VireoError.is(e, 'BAD_INPUT'), `expected BAD_INPUT, got ${String(e)}`);
      return (e as Error).message;
    },
  );

test('the shell validator gives virt-xml-validate’s verdict and message for each document', async () => {
  for (const c of cases) {
    const shell = await outcome(validateXml(c.xml, c.schema));
    const spawned = await outcome(validateXmlSpawn(c.xml, c.schema));
    assert.equal(shell === 'valid', c.valid, `${c.label}: ${shell}`);
    assert.equal(spawned === 'valid', c.valid, `${c.label} (virt-xml-validate): ${spawned}`);
    if (!c.valid) {
      // The same libxml2 messages; virt-xml-validate adds its own "fails to validate" line.
      const first = (m: string) => m.split('\n')[0];
      assert.equal(first(shell), first(spawned), c.label);
      assert.doesNotMatch(shell, /vireo-xmllint-/, 'no temporary path in the message');
    }
  }
});

test('a document that does not parse is refused even right after a valid one (the shell keeps the old one loaded)', async () => {
  await validateXml(domain(disk), 'domain');
  const m = await outcome(validateXml(domain(disk).slice(0, 60), 'domain'));
  assert.match(m, /parser error/);
  // A parse error echoes the document's line: a line that looks like a verdict does not count.
  await assert.rejects(validateXml('<x>\n/tmp/a.xml validates\n', 'domain'), (e) => VireoError.is(e, 'BAD_INPUT'));
});

test('calls at once each get their own verdict', async () => {
  const many = Array.from({ length: 12 }, (_, i) => cases[i % cases.length]!);
  const got = await Promise.all(many.map((c) => outcome(validateXml(c.xml, c.schema))));
  assert.deepEqual(
    got.map((g) => g === 'valid'),
    many.map((c) => c.valid),
  );
});
