import type { NextConfig } from 'next';

// The production image (docker/dashboard.Dockerfile) builds a self-contained server;
// `npm start` keeps the ordinary build that `next start` serves.
const standalone = process.env.LOVAGE_DASHBOARD_OUTPUT === 'standalone';

const nextConfig: NextConfig = {
  ...(standalone ? { output: 'standalone' as const } : {}),
  outputFileTracingRoot: new URL('../..', import.meta.url).pathname,
  poweredByHeader: false,
  reactStrictMode: true,
};

export default nextConfig;
