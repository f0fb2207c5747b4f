import type { Metadata } from 'next';
import { PlaceholderPage } from '@/components/placeholder-page';

export const metadata: Metadata = { title: 'Schedules' };

export default function SchedulesPage() {
  return (
    <PlaceholderPage
      title="Schedules"
      summary="Periodic tasks run by beat."
      plans={[
        'Crontab and interval schedules with their next runs',
        'Create, edit, pause and run now',
        'Every edit recorded in the audit log',
      ]}
    />
  );
}
