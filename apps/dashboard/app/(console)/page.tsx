import { Card } from '@/components/ui/card';
import { PageHeader } from '@/components/ui/page-header';
import { StatusBadge } from '@/components/ui/status-badge';
import { fetchGatewayHealth } from '@/lib/gateway-health';

// The health is a live fact: render on every request, never at build time.
export const dynamic = 'force-dynamic';

export default async function OverviewPage() {
  const health = await fetchGatewayHealth();
  return (
    <>
      <PageHeader title="Overview">Throughput, failures and workers at a glance.</PageHeader>
      <div className="grid gap-4 md:grid-cols-2">
        <Card title="Gateway">
          {health.state === 'ok' ? (
            <StatusBadge tone="ok" label="Gateway health">
              Gateway: ok
            </StatusBadge>
          ) : (
            <>
              <StatusBadge tone="bad" label="Gateway health">
                Gateway: unreachable
              </StatusBadge>
              <p className="mt-2 text-sm text-ink-muted">{health.reason}</p>
            </>
          )}
          <p className="mt-2 text-xs text-ink-muted">
            Checked at <time dateTime={health.checkedAt}>{health.checkedAt}</time>
          </p>
        </Card>
        <Card title="Activity">
          <p className="text-ink-muted">Live task rates and charts arrive with the gateway&apos;s API.</p>
        </Card>
      </div>
    </>
  );
}
