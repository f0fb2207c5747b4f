import type { Metadata } from 'next';
import { PlaceholderPage } from '@/components/placeholder-page';

export const metadata: Metadata = { title: 'Workers' };

export default function WorkersPage() {
  return (
    <PlaceholderPage
      title="Workers"
      summary="Worker processes, their heartbeats and what they are running."
      plans={[
        'Online and offline workers with load and concurrency',
        'Active, reserved and revoked tasks per worker',
        'Pool resize, shutdown and queue consumption controls',
      ]}
    />
  );
}
