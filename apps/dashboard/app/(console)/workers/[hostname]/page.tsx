import type { Metadata } from 'next';
import { WorkerDetailView } from './worker-detail-view';

export const metadata: Metadata = { title: 'Worker' };

export default async function WorkerPage({ params }: { params: Promise<{ hostname: string }> }) {
  const { hostname } = await params;
  return <WorkerDetailView hostname={decodeURIComponent(hostname)} />;
}
