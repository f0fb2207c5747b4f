import type { Metadata } from 'next';
import { CeleryClusters } from '@/components/celery-clusters';
import { PageHeader } from '@/components/ui/page-header';
import { WorkersView } from './workers-view';

export const metadata: Metadata = { title: 'Workers' };

export default function WorkersPage() {
  return (
    <>
      <PageHeader title="Workers">Every worker that has sent a heartbeat, with its load and counters, live.</PageHeader>
      <WorkersView />
      <CeleryClusters />
    </>
  );
}
