import type { Metadata } from 'next';
import { PageHeader } from '@/components/ui/page-header';
import { ScheduleForm } from '../schedule-form';

export const metadata: Metadata = { title: 'New schedule' };

export default function NewSchedulePage() {
  return (
    <>
      <PageHeader title="New schedule">Beat sends the task on this timetable from its next tick on.</PageHeader>
      <ScheduleForm />
    </>
  );
}
