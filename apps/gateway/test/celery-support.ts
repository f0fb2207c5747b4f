// Reading a watched Celery cluster's tasks through the REST API, as the tests beside a real
// Python worker do: the task as stored now, and a wait for the state it must reach.
import { expect } from 'vitest';
import type { TaskDetail, TaskDetailResponse } from '../src/api/schemas.js';
import type { Client } from './support.js';

/** The stored task, or undefined while the gateway has not seen it. */
export async function taskOf(client: Client, id: string): Promise<TaskDetail | undefined> {
  const response = await client.request('GET', `/api/v1/tasks/${id}`);
  if (response.status === 404) return undefined;
  expect(response.status).toBe(200);
  return ((await response.json()) as TaskDetailResponse).task;
}

/** Waits (a loaded machine: up to a minute) for the task to reach `state`, then returns it. */
export async function settled(client: Client, id: string, state: TaskDetail['state']): Promise<TaskDetail> {
  let task: TaskDetail | undefined;
  await expect
    .poll(
      async () => {
        task = await taskOf(client, id);
        return task?.state;
      },
      { timeout: 60_000, interval: 200 },
    )
    .toBe(state);
  return task!;
}
