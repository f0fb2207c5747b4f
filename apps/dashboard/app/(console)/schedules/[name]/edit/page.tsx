import type { Metadata } from 'next';
import { EditScheduleView } from './edit-schedule-view';

export const metadata: Metadata = { title: 'Edit schedule' };

export default async function EditSchedulePage({ params }: { params: Promise<{ name: string }> }) {
  const { name } = await params;
  return <EditScheduleView name={decodeURIComponent(name)} />;
}
