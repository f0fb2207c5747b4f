import type { Metadata } from 'next';
import { PlaceholderPage } from '@/components/placeholder-page';

export const metadata: Metadata = { title: 'Audit log' };

export default function AuditLogPage() {
  return (
    <PlaceholderPage
      title="Audit log"
      summary="Who did what, and when: operator actions and schedule edits."
      plans={['Actions by user, target and time', 'Before and after of every schedule edit']}
    />
  );
}
