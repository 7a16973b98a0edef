// A node:test reporter that writes how long each test file took (first to last event of the
// file, hooks and guest boots included), slowest first: where the suite's time goes.
export default async function* fileTimes(source) {
  const spans = new Map();
  for await (const event of source) {
    const file = event.data?.file;
    if (!file) continue;
    const now = Date.now();
    const span = spans.get(file) ?? { first: now, last: now };
    span.last = now;
    spans.set(file, span);
  }
  const rows = [...spans].map(([file, s]) => [file.replace(`${process.cwd()}/`, ''), (s.last - s.first) / 1000]);
  rows.sort((a, b) => b[1] - a[1]);
  const total = rows.reduce((n, r) => n + r[1], 0);
  yield `${rows.map(([f, s]) => `${s.toFixed(1).padStart(7)} s  ${f}`).join('\n')}\n${total.toFixed(0).padStart(7)} s  in ${rows.length} files\n`;
}
