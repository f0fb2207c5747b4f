import type { Metadata } from 'next';
import { PageHeader } from '@/components/ui/page-header';
import { QueuesView } from './queues-view';

export const metadata: Metadata = { title: 'Queues' };

export default function QueuesPage() {
  return (
    <>
      <PageHeader title="Queues">What waits in the broker, per queue: ready, delayed, reserved and dead letters.</PageHeader>
      <QueuesView />
    </>
  );
}
