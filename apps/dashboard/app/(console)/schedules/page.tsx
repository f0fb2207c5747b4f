import type { Metadata } from 'next';
import Link from 'next/link';
import { RequireRole } from '@/components/current-user';
import { buttonClasses } from '@/components/ui/button';
import { PageHeader } from '@/components/ui/page-header';
import { SchedulesView } from './schedules-view';

export const metadata: Metadata = { title: 'Schedules' };

export default function SchedulesPage() {
  return (
    <>
      <div className="flex flex-wrap items-start gap-4">
        <div className="flex-1">
          <PageHeader title="Schedules">Periodic tasks that beat sends: when, what, and how the last run went.</PageHeader>
        </div>
        <RequireRole role="operator">
          <Link href="/schedules/new" className={buttonClasses('primary')}>
            New schedule
          </Link>
        </RequireRole>
      </div>
      <SchedulesView />
    </>
  );
}
