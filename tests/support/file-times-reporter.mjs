// A node:test reporter that writes how long each test file took, slowest first: where the
// suite's time goes. With files run in their own processes, node reports each file as a test of
// its own (named by its path) whose duration covers everything in it: hooks, guest boots, tests.
export default async function* fileTimes(source) {
  const rows = [];
  for await (const event of source) {
    const { name, file, details } = event.data ?? {};
    if (event.type === 'test:complete' && file && name === file && details?.duration_ms !== undefined)
      rows.push([file.replace(`${process.cwd()}/`, ''), details.duration_ms / 1000]);
  }
  rows.sort((a, b) => b[1] - a[1]);
  const total = rows.reduce((n, r) => n + r[1], 0);
  yield `${rows.map(([f, s]) => `${s.toFixed(1).padStart(7)} s  ${f}`).join('\n')}\n${total.toFixed(0).padStart(7)} s  in ${rows.length} files\n`;
}
