// Webhook notifications: the payloads (generic JSON and Slack's { text, blocks }),
// the delivery with a timeout and retries with backoff, and the masking that keeps
// a webhook URL's secret out of every API answer.
import type { WebhookFormat } from './schemas.js';

/**
 * The URL as the API shows it: the origin, then the last four characters of the rest,
 * e.g. https://hooks.slack.com/…/****abcd. Slack, Discord and Teams put the secret in
 * the path; a user:password@ part or a query token is hidden the same way.
 */
export function maskWebhookUrl(url: string): string {
  let origin: string;
  let rest: string;
  try {
    const parsed = new URL(url);
    origin = `${parsed.protocol}//${parsed.host}`;
    rest = `${parsed.pathname}${parsed.search}`.replace(/^\/+/, '');
  } catch {
    return '****';
  }
  if (rest.length === 0) return origin;
  const tail = rest.length > 8 ? rest.slice(-4) : '';
  return `${origin}/…/****${tail}`;
}

export interface AlertNotice {
  status: 'firing' | 'resolved' | 'test';
  rule: { id: string; name: string; kind: string };
  subject: string;
  value: number | null;
  message: string;
  at: Date;
  /** Where the Alerts page is, for a link in the message. */
  dashboardUrl: string | null;
}

const ICONS = { firing: ':rotating_light:', resolved: ':white_check_mark:', test: ':test_tube:' } as const;
const TITLES = { firing: 'FIRING', resolved: 'RESOLVED', test: 'TEST' } as const;

/** The request body for a webhook of this format. */
export function webhookPayload(format: WebhookFormat, notice: AlertNotice): Record<string, unknown> {
  const headline = `[${TITLES[notice.status]}] ${notice.rule.name}: ${notice.subject}`;
  if (format === 'slack') {
    const link = notice.dashboardUrl ? `\n<${notice.dashboardUrl}/alerts|Open the Alerts page>` : '';
    return {
      text: `${headline} — ${notice.message}`,
      blocks: [
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            text: `${ICONS[notice.status]} *${escapeSlack(headline)}*\n${escapeSlack(notice.message)}${link}`,
          },
        },
        {
          type: 'context',
          elements: [
            { type: 'mrkdwn', text: `Lovage alert · ${notice.rule.kind} · ${notice.at.toISOString()}` },
          ],
        },
      ],
    };
  }
  return {
    version: 1,
    source: 'lovage',
    status: notice.status,
    rule: notice.rule,
    subject: notice.subject,
    value: notice.value,
    message: notice.message,
    at: notice.at.toISOString(),
    dashboardUrl: notice.dashboardUrl ? `${notice.dashboardUrl}/alerts` : null,
  };
}

/** Slack's three control characters in mrkdwn. */
function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export interface DeliveryOptions {
  /** Per attempt, ms (default 5 s). */
  timeoutMs: number;
  /** Attempts in all, the first included (default 3). */
  attempts: number;
  /** Wait before the second attempt, doubled before each next one (default 1 s). */
  backoffMs: number;
}

export interface DeliveryResult {
  ok: boolean;
  attempts: number;
  /** The last failure: an HTTP status or the network error, when not ok. */
  error: string | null;
}

/** POSTs the payload; a non-2xx answer, a network error or a timeout is retried after a growing pause. */
export async function deliverWebhook(
  url: string,
  payload: unknown,
  options: DeliveryOptions,
): Promise<DeliveryResult> {
  let error: string | null = null;
  for (let attempt = 1; attempt <= options.attempts; attempt += 1) {
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'lovage-alerts/1' },
        body: JSON.stringify(payload),
        signal: AbortSignal.timeout(options.timeoutMs),
        redirect: 'error',
      });
      // Drain the body so the connection is released.
      await response.arrayBuffer().catch(() => undefined);
      if (response.ok) return { ok: true, attempts: attempt, error: null };
      error = `HTTP ${response.status}`;
    } catch (failure) {
      error = describe(failure, options.timeoutMs);
    }
    if (attempt < options.attempts)
      await new Promise((resolve) => setTimeout(resolve, options.backoffMs * 2 ** (attempt - 1)));
  }
  return { ok: false, attempts: options.attempts, error };
}

function describe(failure: unknown, timeoutMs: number): string {
  if (failure instanceof Error && (failure.name === 'TimeoutError' || failure.name === 'AbortError'))
    return `no answer within ${timeoutMs} ms`;
  if (failure instanceof Error) {
    const cause = (failure as Error & { cause?: unknown }).cause;
    const detail = cause instanceof Error ? cause.message : failure.message;
    return detail.slice(0, 300);
  }
  return String(failure).slice(0, 300);
}
