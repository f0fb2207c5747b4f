import type { Metadata } from 'next';
import { EditScheduleView } from './edit-schedule-view';

export const metadata: Metadata = { title: 'Edit schedule' };

export default async function EditSchedulePage({ params, searchParams }: { params: Promise<{ name: string }>; searchParams: Promise<{ cluster?: string | string[] }> }) {
  const { name } = await params;
  const { cluster } = await searchParams;
  return <EditScheduleView name={decodeURIComponent(name)} cluster={typeof cluster === 'string' && cluster !== '' ? cluster : null} />;
}
