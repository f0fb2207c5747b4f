import type { Metadata } from 'next';
import { PageHeader } from '@/components/ui/page-header';
import { AlertsView } from './alerts-view';

export const metadata: Metadata = { title: 'Alerts' };

export default function AlertsPage() {
  return (
    <>
      <PageHeader title="Alerts">
        Rules the gateway checks on its own, and the webhooks it tells when one fires and when it resolves.
      </PageHeader>
      <AlertsView />
    </>
  );
}
