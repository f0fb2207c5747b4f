import type { Metadata } from 'next';
import { Suspense } from 'react';
import { PageHeader } from '@/components/ui/page-header';
import { Skeleton } from '@/components/ui/states';
import { SendTaskButton } from './send-task-dialog';
import { TasksView } from './tasks-view';

export const metadata: Metadata = { title: 'Tasks' };

export default function TasksPage() {
  return (
    <>
      <div className="flex flex-wrap items-start justify-between gap-4">
        <PageHeader title="Tasks">Every task the gateway has seen, newest first, updating live.</PageHeader>
        <SendTaskButton />
      </div>
      <Suspense fallback={<Skeleton rows={8} label="Loading tasks" />}>
        <TasksView />
      </Suspense>
    </>
  );
}
