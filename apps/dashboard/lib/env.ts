// The dashboard's only reader of process.env: validated once, with defaults for `npm start`.
import { z } from 'zod';

const schema = z.object({
  LOVAGE_GATEWAY_URL: z.url().default('http://127.0.0.1:5555'),
});

function loadEnv() {
  const parsed = schema.safeParse({ LOVAGE_GATEWAY_URL: process.env.LOVAGE_GATEWAY_URL || undefined });
  if (!parsed.success) {
    const detail = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new Error(`Invalid dashboard environment: ${detail}`);
  }
  return parsed.data;
}

export const env = loadEnv();

/** `next dev` (its pages need eval for fast refresh), as opposed to a production build. */
export const isDevelopment = process.env.NODE_ENV === 'development';
