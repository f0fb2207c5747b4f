import type { Metadata } from 'next';
import { QueueDetailView } from './queue-detail-view';

export const metadata: Metadata = { title: 'Queue' };

export default async function QueuePage({ params, searchParams }: { params: Promise<{ name: string }>; searchParams: Promise<{ cluster?: string | string[] }> }) {
  const { name } = await params;
  const { cluster } = await searchParams;
  return <QueueDetailView name={decodeURIComponent(name)} cluster={typeof cluster === 'string' && cluster !== '' ? cluster : null} />;
}
