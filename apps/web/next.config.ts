import { fileURLToPath } from 'node:url';
import type { NextConfig } from 'next';

/** The monorepo root: workspace packages (packages/*) and the shared public/ live there. */
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

const nextConfig: NextConfig = {
  // The browser imports only types from @vireo/api and small zod helpers from @vireo/protocol
  // (vmNameSchema & co). Both ship raw TypeScript, so they are compiled with the app.
  transpilePackages: ['@vireo/protocol'],
  turbopack: { root: repoRoot },
  outputFileTracingRoot: repoRoot,
  poweredByHeader: false,
  // scripts/test.sh type-checks every package with tsc just before it builds; set there, this
  // spares the build a second check of the same files (`npm run up` still checks).
  typescript: { ignoreBuildErrors: process.env.VIREO_TYPECHECKED === '1' },
  reactStrictMode: true,
  // Security headers and the CSP (with the per-request nonce Next puts on its inline scripts) are
  // set by the manager's edge for every response (packages/api/src/edge/security-headers.ts), not
  // here: next.config `headers()` would not reach the edge's own API answers.
  // @novnc/novnc 1.7.0 is ESM-only with a top-level await (core/util/browser.js) and touches
  // `window` on import. It is loaded only through `import('@novnc/novnc')` inside a client
  // effect (src/modules/console/use-vnc-console.ts); Turbopack bundles that into an async chunk as is,
  // so no transpilePackages entry or webpack fallback is needed for it.
};

export default nextConfig;
