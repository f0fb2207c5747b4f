// Calls the gateway the way the dashboard does: through its same-origin /api proxy, with the
// browser context's session cookie and the double-submit CSRF token on state-changing requests.
import { expect, type APIRequestContext, type BrowserContext } from '@playwright/test';

const dashboard = 'http://127.0.0.1:3000';

async function csrfOf(context: BrowserContext): Promise<string> {
  const cookie = (await context.cookies(dashboard)).find((item) => item.name === 'lovage_csrf');
  return cookie?.value ?? '';
}

export async function apiPost<T>(context: BrowserContext, path: string, body: unknown, expected = [200, 201]): Promise<T> {
  const response = await context.request.post(`${dashboard}${path}`, {
    data: body,
    headers: { 'x-csrf-token': await csrfOf(context), origin: dashboard },
  });
  expect(expected, `POST ${path} answered ${response.status()}: ${await response.text()}`).toContain(response.status());
  return (await response.json()) as T;
}

export async function apiGet<T>(request: APIRequestContext, path: string): Promise<{ status: number; body: T }> {
  const response = await request.get(`${dashboard}${path}`);
  const text = await response.text();
  return { status: response.status(), body: (text ? JSON.parse(text) : null) as T };
}

/** Sends a demo task by name; returns its id. */
export async function sendTask(context: BrowserContext, task: string, args: unknown[], options: Record<string, unknown> = {}): Promise<string> {
  const sent = await apiPost<{ id: string }>(context, '/api/v1/tasks', { task, args, options });
  return sent.id;
}

/** Waits until the gateway has stored the task (its events reached the ingest). */
export async function waitForTask(request: APIRequestContext, id: string, state?: string | RegExp): Promise<void> {
  await expect
    .poll(
      async () => {
        const { status, body } = await apiGet<{ task?: { state: string } }>(request, `/api/v1/tasks/${encodeURIComponent(id)}`);
        return status === 200 ? (body.task?.state ?? 'missing') : `HTTP ${status}`;
      },
      { timeout: 30_000, message: `task ${id} to be stored${state ? ` in state ${String(state)}` : ''}` },
    )
    .toMatch(state ?? /^[A-Z]+$/);
}

export function unique(label: string): string {
  return `${label}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}
