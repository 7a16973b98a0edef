// How every browser test and screenshot script starts Debian's Chromium: headless, as root, and
// with nothing that reaches for the network (this machine has none; CI neither).
export const chromiumExecutable = '/usr/bin/chromium';
export const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
