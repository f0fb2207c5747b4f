import type { Metadata } from 'next';
import { PageHeader } from '@/components/ui/page-header';
import { StatusBadge } from '@/components/ui/status-badge';
import { fetchGatewayHealth } from '@/lib/gateway-health';
import { OverviewView } from './overview-view';

export const metadata: Metadata = { title: 'Overview' };

// The health is a live fact: render on every request, never at build time.
export const dynamic = 'force-dynamic';

export default async function OverviewPage() {
  const health = await fetchGatewayHealth();
  return (
    <>
      <div className="flex flex-wrap items-start gap-4">
        <div className="flex-1">
          <PageHeader title="Overview">Throughput, failures, runtimes, queues and workers, live.</PageHeader>
        </div>
        <div className="text-sm" title={`Checked at ${health.checkedAt}`}>
          {health.state === 'ok' ? (
            <StatusBadge tone="ok" label="Gateway health">
              Gateway: ok
            </StatusBadge>
          ) : (
            <>
              <StatusBadge tone="bad" label="Gateway health">
                Gateway: unreachable
              </StatusBadge>
              <p className="mt-1 text-xs text-ink-muted">{health.reason}</p>
            </>
          )}
        </div>
      </div>
      <OverviewView />
    </>
  );
}
