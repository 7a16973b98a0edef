/** Waits until N hosts are online in the manager at VIREO_URL (public health endpoint). */
const want = Number(process.argv[2] ?? '1');
const url = `${process.env.VIREO_URL ?? 'http://127.0.0.1:3000'}/api/health`;
const deadline = Date.now() + 60_000;
let online = -1;
while (Date.now() < deadline) {
  try {
    const res = await fetch(url);
    if (res.ok) {
      online = ((await res.json()) as { hostsOnline: number }).hostsOnline;
      if (online >= want) process.exit(0);
    }
  } catch {
    // not up yet
  }
  await new Promise((r) => setTimeout(r, 250));
}
console.error(`Only ${online} of ${want} hosts came online within 60 s; see the agent logs.`);
process.exit(1);
