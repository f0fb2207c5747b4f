// Settings the browser bundle may read. NEXT_PUBLIC_* values are inlined by `next build`, so they
// are fixed per build; each must be read by its full literal name for the inlining to happen.
import './zod-setup';
import { z } from 'zod';

const schema = z.object({
  /** Where the browser reaches the gateway's socket.io feed; derived from the page's host when unset. */
  NEXT_PUBLIC_LOVAGE_GATEWAY_URL: z.url().optional(),
});

export const clientEnv = schema.parse({
  NEXT_PUBLIC_LOVAGE_GATEWAY_URL: process.env.NEXT_PUBLIC_LOVAGE_GATEWAY_URL || undefined,
});
