import type { NextConfig } from 'next';
import { STATIC_SECURITY_HEADERS } from './lib/security-headers';

// The production image (docker/dashboard.Dockerfile) builds a self-contained server;
// `npm start` keeps the ordinary build that `next start` serves.
const standalone = process.env.LOVAGE_DASHBOARD_OUTPUT === 'standalone';

const nextConfig: NextConfig = {
  ...(standalone ? { output: 'standalone' as const } : {}),
  outputFileTracingRoot: new URL('../..', import.meta.url).pathname,
  poweredByHeader: false,
  // On every response, assets included; each page's Content-Security-Policy is set in proxy.ts.
  headers: () => Promise.resolve([{ source: '/:path*', headers: [...STATIC_SECURITY_HEADERS] }]),
  reactStrictMode: true,
  // The schedule form runs beat's own schedule math from the engine's TypeScript sources: the
  // engine's `@lovage/engine/beat` export under the "@lovage/source" condition, as every other
  // workspace reads it (tsconfig.base.json's customConditions). Those sources import each other
  // NodeNext-style ('./crontab.js' for crontab.ts); Turbopack cannot map that yet
  // (vercel/next.js#82945), so the build uses webpack with this alias.
  webpack: (config: { resolve: { conditionNames?: string[]; extensionAlias?: Record<string, string[]> } }) => {
    config.resolve.conditionNames = ['@lovage/source', ...(config.resolve.conditionNames ?? ['...'])];
    config.resolve.extensionAlias = { ...config.resolve.extensionAlias, '.js': ['.ts', '.tsx', '.js'] };
    return config;
  },
};

export default nextConfig;
