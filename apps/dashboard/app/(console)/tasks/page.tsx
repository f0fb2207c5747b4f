import type { Metadata } from 'next';
import { PlaceholderPage } from '@/components/placeholder-page';

export const metadata: Metadata = { title: 'Tasks' };

export default function TasksPage() {
  return (
    <PlaceholderPage
      title="Tasks"
      summary="Every task the gateway has seen, newest first."
      plans={[
        'Search and filter by name, state, queue, worker and time range',
        'Each task’s attempts, arguments, result or traceback',
        'Retry, revoke and terminate actions',
      ]}
    />
  );
}
