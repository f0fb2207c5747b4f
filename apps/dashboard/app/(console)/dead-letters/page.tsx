import type { Metadata } from 'next';
import { Suspense } from 'react';
import { PageHeader } from '@/components/ui/page-header';
import { Skeleton } from '@/components/ui/states';
import { DeadLettersView } from './dead-letters-view';

export const metadata: Metadata = { title: 'Dead letters' };

export default function DeadLettersPage() {
  return (
    <>
      <PageHeader title="Dead letters">Messages the broker gave up on: why, what they carried, and a way back.</PageHeader>
      <Suspense fallback={<Skeleton rows={4} label="Loading dead letters" />}>
        <DeadLettersView />
      </Suspense>
    </>
  );
}
