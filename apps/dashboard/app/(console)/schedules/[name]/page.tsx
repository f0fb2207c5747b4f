import type { Metadata } from 'next';
import { ScheduleDetailView } from './schedule-detail-view';

export const metadata: Metadata = { title: 'Schedule' };

export default async function SchedulePage({ params, searchParams }: { params: Promise<{ name: string }>; searchParams: Promise<{ cluster?: string | string[] }> }) {
  const { name } = await params;
  const { cluster } = await searchParams;
  return <ScheduleDetailView name={decodeURIComponent(name)} cluster={typeof cluster === 'string' && cluster !== '' ? cluster : null} />;
}
