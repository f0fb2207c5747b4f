import type { Metadata } from 'next';
import { PlaceholderPage } from '@/components/placeholder-page';

export const metadata: Metadata = { title: 'Queues' };

export default function QueuesPage() {
  return (
    <PlaceholderPage
      title="Queues"
      summary="Broker queues: depth, delayed tasks and consumers."
      plans={['Waiting, delayed and leased counts per queue', 'Depth over time', 'Purge with confirmation']}
    />
  );
}
