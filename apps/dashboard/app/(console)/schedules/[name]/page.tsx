import type { Metadata } from 'next';
import { ScheduleDetailView } from './schedule-detail-view';

export const metadata: Metadata = { title: 'Schedule' };

export default async function SchedulePage({ params }: { params: Promise<{ name: string }> }) {
  const { name } = await params;
  return <ScheduleDetailView name={decodeURIComponent(name)} />;
}
