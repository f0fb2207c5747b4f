import type { Metadata } from 'next';
import { PlaceholderPage } from '@/components/placeholder-page';

export const metadata: Metadata = { title: 'Dead letters' };

export default function DeadLettersPage() {
  return (
    <PlaceholderPage
      title="Dead letters"
      summary="Messages that could not be processed, with the reason."
      plans={[
        'Rejected and poison messages with their delivery count',
        'Inspect the raw message',
        'Requeue or discard',
      ]}
    />
  );
}
