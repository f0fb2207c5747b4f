'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { RequireRole } from '@/components/current-user';
import { Button } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { CompactTable, DataTable } from '@/components/ui/data-table';
import { ConfirmDialog } from '@/components/ui/dialog';
import { EmptyState, ErrorState, Skeleton } from '@/components/ui/states';
import { useToast } from '@/components/ui/toast';
import { api } from '@/lib/api-client';
import {
  alertKindLabels,
  alertPaths,
  describeRule,
  type AlertEvent,
  type AlertEventList,
  type AlertFiringList,
  type AlertRule,
  type AlertRuleList,
  type AlertTestResult,
} from '@/lib/alerts';
import { formatDateTime } from '@/lib/format';
import { queryKeys } from '@/lib/query-keys';
import { AlertRuleDialog } from './alert-rule-dialog';

/** The gateway evaluates on its own clock; the page looks again this often. */
const REFRESH_MS = 5_000;

const cell = 'px-3 py-2 align-top';

function errorText(error: unknown): string | undefined {
  return error instanceof Error ? error.message : undefined;
}

function TestButton({ rule }: { rule: AlertRule }) {
  const queryClient = useQueryClient();
  const { toast } = useToast();
  const send = useMutation({
    mutationFn: () => api.post<AlertTestResult>(alertPaths.test(rule.id)),
    onSuccess: ({ event }) => {
      if (event.delivery === 'delivered')
        toast({ tone: 'success', title: 'Test sent', description: `${rule.name}: the webhook answered.` });
      else
        toast({
          tone: 'error',
          title: 'The test was not delivered',
          description: `${event.deliveryError ?? 'No answer'} (after ${event.attempts} attempts)`,
        });
      void queryClient.invalidateQueries({ queryKey: queryKeys.alerts.events() });
    },
    onError: (error) =>
      toast({ tone: 'error', title: 'Could not send the test', description: errorText(error) }),
  });
  return (
    <Button
      size="sm"
      variant="secondary"
      aria-label={`Send a test for ${rule.name}`}
      disabled={send.isPending}
      onClick={() => send.mutate()}
    >
      {send.isPending ? 'Sending…' : 'Send a test'}
    </Button>
  );
}

function RulesCard() {
  const queryClient = useQueryClient();
  const { toast } = useToast();
  const [editing, setEditing] = useState<{ rule: AlertRule | null } | null>(null);
  const [deleting, setDeleting] = useState<AlertRule | null>(null);
  const rules = useQuery({
    queryKey: queryKeys.alerts.rules(),
    queryFn: ({ signal }) => api.get<AlertRuleList>(alertPaths.rules, { signal }),
    refetchInterval: REFRESH_MS,
  });
  const remove = useMutation({
    mutationFn: (rule: AlertRule) => api.delete(alertPaths.rule(rule.id)),
    onSuccess: (_, rule) => {
      toast({ tone: 'success', title: 'Alert rule deleted', description: rule.name });
      setDeleting(null);
    },
    onError: (error) =>
      toast({ tone: 'error', title: 'Could not delete the rule', description: errorText(error) }),
    onSettled: () => queryClient.invalidateQueries({ queryKey: queryKeys.alerts.all() }),
  });
  const list = rules.data?.rules;

  return (
    <Card title="Rules">
      <div className="mb-3 flex flex-wrap items-center justify-between gap-2">
        <p className="text-sm text-ink-muted">
          {rules.data?.evaluatedEveryMs
            ? `Checked every ${Math.round(rules.data.evaluatedEveryMs / 1000)} s by the gateway.`
            : rules.data
              ? 'This gateway does not evaluate alerts (another replica may).'
              : null}
        </p>
        <RequireRole role="admin">
          <Button onClick={() => setEditing({ rule: null })}>New rule</Button>
        </RequireRole>
      </div>
      {rules.isPending ? <Skeleton label="Loading alert rules" /> : null}
      {rules.isError ? (
        <ErrorState error={rules.error} what="alert rules" onRetry={() => void rules.refetch()} />
      ) : null}
      {list && list.length === 0 ? (
        <EmptyState title="No alert rules yet">An admin adds rules here; everyone sees them.</EmptyState>
      ) : null}
      {list && list.length > 0 ? (
        <DataTable
          caption="Alert rules"
          headings={['Name', 'Watches', 'Webhook', 'State', '']}
          minWidth="min-w-[720px]"
        >
          {list.map((rule) => (
            <tr key={rule.id} className="border-t border-line">
              <td className={`${cell} font-medium`}>{rule.name}</td>
              <td className={cell}>
                <span className="block text-xs text-ink-muted">{alertKindLabels[rule.rule.kind]}</span>
                {describeRule(rule.rule)}
              </td>
              <td className={`${cell} font-mono text-xs break-all`}>
                <span className="block font-sans text-ink-muted">
                  {rule.webhookFormat === 'slack' ? 'Slack' : 'JSON'}
                </span>
                {rule.webhookUrlMasked}
              </td>
              <td className={cell}>
                {!rule.enabled ? (
                  'Disabled'
                ) : rule.firing > 0 ? (
                  <span className="font-semibold text-bad">Firing ({rule.firing})</span>
                ) : (
                  'OK'
                )}
              </td>
              <td className="px-3 py-2 text-right whitespace-nowrap">
                <RequireRole role="admin">
                  <span className="inline-flex gap-2">
                    <TestButton rule={rule} />
                    <Button
                      size="sm"
                      variant="secondary"
                      aria-label={`Edit ${rule.name}`}
                      onClick={() => setEditing({ rule })}
                    >
                      Edit
                    </Button>
                    <Button
                      size="sm"
                      variant="danger"
                      aria-label={`Delete ${rule.name}`}
                      onClick={() => setDeleting(rule)}
                    >
                      Delete
                    </Button>
                  </span>
                </RequireRole>
              </td>
            </tr>
          ))}
        </DataTable>
      ) : null}
      <AlertRuleDialog
        open={editing !== null}
        rule={editing?.rule ?? null}
        onClose={() => setEditing(null)}
      />
      <ConfirmDialog
        open={deleting !== null}
        title="Delete this alert rule?"
        confirmLabel="Delete rule"
        busy={remove.isPending}
        onCancel={() => setDeleting(null)}
        onConfirm={() => deleting && remove.mutate(deleting)}
      >
        &ldquo;{deleting?.name}&rdquo; stops being checked. Its past notifications stay in the history.
      </ConfirmDialog>
    </Card>
  );
}

function deliveryText(event: AlertEvent): string {
  if (event.delivery === 'delivered')
    return event.attempts > 1 ? `Delivered (attempt ${event.attempts})` : 'Delivered';
  if (event.delivery === 'failed') return `Failed: ${event.deliveryError ?? 'no answer'}`;
  return 'Sending…';
}

const eventColumns = [{ label: 'Rule' }, { label: 'Subject' }, { label: 'What' }, { label: 'Notification' }];

function EventsTable({
  events,
  caption,
  showStatus,
}: {
  events: AlertEvent[];
  caption: string;
  showStatus: boolean;
}) {
  return (
    <CompactTable
      caption={caption}
      columns={[
        { label: showStatus ? 'At' : 'Since' },
        ...(showStatus ? [{ label: 'Status' }] : []),
        ...eventColumns,
      ]}
    >
      {events.map((event) => (
        <tr key={event.id} className="border-t border-line">
          <td className={`${cell} whitespace-nowrap text-ink-muted`}>{formatDateTime(event.at)}</td>
          {showStatus ? (
            <td className={`${cell} ${event.status === 'firing' ? 'font-semibold text-bad' : ''}`}>
              {event.status}
            </td>
          ) : null}
          <td className={cell}>{event.ruleName}</td>
          <td className={`${cell} font-mono text-xs`}>{event.subject}</td>
          <td className={cell}>{event.message}</td>
          <td className={`${cell} ${event.delivery === 'failed' ? 'text-bad' : 'text-ink-muted'}`}>
            {deliveryText(event)}
          </td>
        </tr>
      ))}
    </CompactTable>
  );
}

function FiringCard() {
  const firing = useQuery({
    queryKey: queryKeys.alerts.firing(),
    queryFn: ({ signal }) => api.get<AlertFiringList>(alertPaths.firing, { signal }),
    refetchInterval: REFRESH_MS,
  });
  return (
    <Card title="Firing now">
      {firing.isPending ? <Skeleton label="Loading firing alerts" /> : null}
      {firing.isError ? (
        <ErrorState error={firing.error} what="firing alerts" onRetry={() => void firing.refetch()} />
      ) : null}
      {firing.data && firing.data.firing.length === 0 ? <EmptyState title="Nothing is firing" /> : null}
      {firing.data && firing.data.firing.length > 0 ? (
        <EventsTable events={firing.data.firing} caption="Alerts firing now" showStatus={false} />
      ) : null}
    </Card>
  );
}

function HistoryCard() {
  const events = useQuery({
    queryKey: queryKeys.alerts.events(),
    queryFn: ({ signal }) => api.get<AlertEventList>(alertPaths.events(100), { signal }),
    refetchInterval: REFRESH_MS,
  });
  return (
    <Card title="History">
      {events.isPending ? <Skeleton label="Loading alert history" /> : null}
      {events.isError ? (
        <ErrorState error={events.error} what="the alert history" onRetry={() => void events.refetch()} />
      ) : null}
      {events.data && events.data.events.length === 0 ? (
        <EmptyState title="No notifications sent yet" />
      ) : null}
      {events.data && events.data.events.length > 0 ? (
        <EventsTable events={events.data.events} caption="Past notifications" showStatus />
      ) : null}
    </Card>
  );
}

export function AlertsView() {
  return (
    <div className="space-y-6">
      <FiringCard />
      <RulesCard />
      <HistoryCard />
    </div>
  );
}
