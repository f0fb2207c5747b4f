import { expect, test } from '@playwright/test';

test('the gateway answers /healthz with a JSON ok', async ({ request }) => {
  const response = await request.get('http://127.0.0.1:5555/healthz');
  expect(response.status()).toBe(200);
  expect(response.headers()['content-type']).toContain('application/json');
  const body: unknown = await response.json();
  expect(body).toMatchObject({ status: 'ok' });
});
