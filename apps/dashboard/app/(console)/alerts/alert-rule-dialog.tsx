'use client';

// Create or edit an alert rule. The webhook URL is a secret the gateway never sends back:
// editing shows it masked, and leaving the field empty keeps the stored one.
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { FormDialog } from '@/components/ui/dialog';
import { Field } from '@/components/ui/field';
import { Input, Select } from '@/components/ui/input';
import { Alert } from '@/components/ui/alert';
import { useToast } from '@/components/ui/toast';
import { api, ApiError } from '@/lib/api-client';
import {
  alertKindLabels,
  alertKinds,
  alertPaths,
  type AlertKind,
  type AlertParamsInput,
  type AlertRule,
  type AlertRuleBody,
  type WebhookFormat,
} from '@/lib/alerts';
import { queryKeys } from '@/lib/query-keys';

/** Every field of every kind, as the inputs hold them (text). */
interface Draft {
  name: string;
  kind: AlertKind;
  enabled: boolean;
  webhookFormat: WebhookFormat;
  webhookUrl: string;
  task: string;
  subject: string;
  percent: string;
  windowMinutes: string;
  minCount: string;
  above: string;
  seconds: string;
  forgetAfterMinutes: string;
}

function draftOf(rule: AlertRule | null): Draft {
  const blank: Draft = {
    name: '',
    kind: 'queue_depth',
    enabled: true,
    webhookFormat: 'slack',
    webhookUrl: '',
    task: '',
    subject: '',
    percent: '10',
    windowMinutes: '15',
    minCount: '10',
    above: '100',
    seconds: '300',
    forgetAfterMinutes: '60',
  };
  if (!rule) return blank;
  const draft: Draft = {
    ...blank,
    name: rule.name,
    kind: rule.rule.kind,
    enabled: rule.enabled,
    webhookFormat: rule.webhookFormat,
  };
  const r = rule.rule;
  switch (r.kind) {
    case 'failure_rate':
      return {
        ...draft,
        task: r.task,
        percent: String(r.percent),
        windowMinutes: String(r.windowMinutes),
        minCount: String(r.minCount),
      };
    case 'queue_depth':
      return { ...draft, subject: r.queue ?? '', above: String(r.above) };
    case 'oldest_waiting':
      return { ...draft, subject: r.queue ?? '', seconds: String(r.aboveSeconds) };
    case 'worker_offline':
      return { ...draft, subject: r.worker ?? '', forgetAfterMinutes: String(r.forgetAfterMinutes) };
    case 'schedule_late':
      return { ...draft, subject: r.schedule ?? '', seconds: String(r.graceSeconds) };
    case 'dead_letters':
      return {
        ...draft,
        subject: r.queue ?? '',
        above: String(r.above),
        windowMinutes: String(r.windowMinutes),
      };
  }
}

/** A number field's text as a number; text that is not one goes to the gateway as is, which names the field. */
function numberOf(text: string): number {
  const trimmed = text.trim();
  return trimmed === '' ? Number.NaN : Number(trimmed);
}

function paramsOf(draft: Draft): AlertParamsInput {
  const subject = draft.subject.trim() || undefined;
  switch (draft.kind) {
    case 'failure_rate':
      return {
        kind: 'failure_rate',
        task: draft.task,
        percent: numberOf(draft.percent),
        windowMinutes: numberOf(draft.windowMinutes),
        minCount: numberOf(draft.minCount),
      };
    case 'queue_depth':
      return { kind: 'queue_depth', queue: subject, above: numberOf(draft.above) };
    case 'oldest_waiting':
      return { kind: 'oldest_waiting', queue: subject, aboveSeconds: numberOf(draft.seconds) };
    case 'worker_offline':
      return {
        kind: 'worker_offline',
        worker: subject,
        forgetAfterMinutes: numberOf(draft.forgetAfterMinutes),
      };
    case 'schedule_late':
      return { kind: 'schedule_late', schedule: subject, graceSeconds: numberOf(draft.seconds) };
    case 'dead_letters':
      return {
        kind: 'dead_letters',
        queue: subject,
        above: numberOf(draft.above),
        windowMinutes: numberOf(draft.windowMinutes),
      };
  }
}

/** The draft field an API error's `field` (e.g. `rule.percent`) belongs to. */
const fieldOfError: Record<string, keyof Draft> = {
  name: 'name',
  webhookUrl: 'webhookUrl',
  'rule.task': 'task',
  'rule.queue': 'subject',
  'rule.worker': 'subject',
  'rule.schedule': 'subject',
  'rule.percent': 'percent',
  'rule.windowMinutes': 'windowMinutes',
  'rule.minCount': 'minCount',
  'rule.above': 'above',
  'rule.aboveSeconds': 'seconds',
  'rule.graceSeconds': 'seconds',
  'rule.forgetAfterMinutes': 'forgetAfterMinutes',
};

const subjectLabels: Partial<Record<AlertKind, [string, string]>> = {
  queue_depth: ['Queue', 'Leave empty to watch every queue.'],
  oldest_waiting: ['Queue', 'Leave empty to watch every queue.'],
  dead_letters: ['Queue', 'Leave empty to watch every queue.'],
  worker_offline: ['Worker hostname', 'Leave empty for any worker that goes offline.'],
  schedule_late: ['Schedule', 'Leave empty to watch every schedule.'],
};

export function AlertRuleDialog({
  open,
  rule,
  onClose,
}: {
  open: boolean;
  rule: AlertRule | null;
  onClose: () => void;
}) {
  const queryClient = useQueryClient();
  const { toast } = useToast();
  const [draft, setDraft] = useState<Draft>(() => draftOf(rule));
  const [shownFor, setShownFor] = useState<{ open: boolean; rule: AlertRule | null }>({ open, rule });
  if (shownFor.open !== open || shownFor.rule !== rule) {
    setShownFor({ open, rule });
    if (open) setDraft(draftOf(rule));
  }
  const save = useMutation({
    mutationFn: (body: AlertRuleBody) =>
      rule ? api.put<AlertRule>(alertPaths.rule(rule.id), body) : api.post<AlertRule>(alertPaths.rules, body),
    onSuccess: (saved) => {
      toast({
        tone: 'success',
        title: rule ? 'Alert rule saved' : 'Alert rule created',
        description: saved.name,
      });
      void queryClient.invalidateQueries({ queryKey: queryKeys.alerts.all() });
      onClose();
    },
  });
  const error = save.error instanceof ApiError ? save.error : null;
  const errorField = error?.field ? fieldOfError[error.field] : undefined;
  const errorFor = (field: keyof Draft) => (errorField === field ? error?.message : undefined);
  const set = <K extends keyof Draft>(field: K, value: Draft[K]) => {
    setDraft((current) => ({ ...current, [field]: value }));
    save.reset();
  };
  const text = (field: keyof Draft, label: string, hint?: string, numeric = false) => (
    <Field label={label} hint={hint} error={errorFor(field)}>
      {(props) => (
        <Input
          {...props}
          value={String(draft[field])}
          inputMode={numeric ? 'decimal' : undefined}
          autoComplete="off"
          onChange={(event) => set(field, event.target.value as never)}
        />
      )}
    </Field>
  );
  const subject = subjectLabels[draft.kind];

  function submit() {
    const body: AlertRuleBody = {
      name: draft.name,
      enabled: draft.enabled,
      rule: paramsOf(draft),
      webhookFormat: draft.webhookFormat,
      webhookUrl: draft.webhookUrl.trim(),
    };
    save.mutate(body);
  }

  return (
    <FormDialog
      open={open}
      wide
      title={rule ? `Edit alert rule ${rule.name}` : 'New alert rule'}
      description="The gateway checks the rule on its own and posts to the webhook once when it fires and once when it resolves."
      submitLabel={rule ? 'Save rule' : 'Create rule'}
      busy={save.isPending}
      onCancel={onClose}
      onSubmit={submit}
    >
      <div className="grid gap-3 sm:grid-cols-2">
        {text('name', 'Name', 'Shown in the notification, e.g. “Emails backing up”.')}
        <Field label="Kind">
          {(props) => (
            <Select
              {...props}
              value={draft.kind}
              onChange={(event) => set('kind', event.target.value as AlertKind)}
            >
              {alertKinds.map((kind) => (
                <option key={kind} value={kind}>
                  {alertKindLabels[kind]}
                </option>
              ))}
            </Select>
          )}
        </Field>
        {draft.kind === 'failure_rate' ? (
          <>
            {text('task', 'Task name', 'e.g. payments.callPaymentApi')}
            {text('percent', 'Failed more than (%)', undefined, true)}
            {text('windowMinutes', 'Over the last (minutes)', undefined, true)}
            {text(
              'minCount',
              'With at least (runs)',
              'So that one failure of two does not page anyone.',
              true,
            )}
          </>
        ) : null}
        {subject ? text('subject', subject[0], subject[1]) : null}
        {draft.kind === 'queue_depth' ? text('above', 'More than (tasks waiting)', undefined, true) : null}
        {draft.kind === 'oldest_waiting'
          ? text('seconds', 'Waited more than (seconds)', undefined, true)
          : null}
        {draft.kind === 'worker_offline'
          ? text(
              'forgetAfterMinutes',
              'Forget after (minutes offline)',
              'Only with no worker named: a worker scaled down for good stops alerting.',
              true,
            )
          : null}
        {draft.kind === 'schedule_late'
          ? text('seconds', 'Late by more than (seconds)', undefined, true)
          : null}
        {draft.kind === 'dead_letters' ? (
          <>
            {text('above', 'More than (new dead letters)', undefined, true)}
            {text('windowMinutes', 'Over the last (minutes)', undefined, true)}
          </>
        ) : null}
        <Field label="Webhook format">
          {(props) => (
            <Select
              {...props}
              value={draft.webhookFormat}
              onChange={(event) => set('webhookFormat', event.target.value as WebhookFormat)}
            >
              <option value="slack">Slack-compatible</option>
              <option value="json">Generic JSON</option>
            </Select>
          )}
        </Field>
        <Field
          label="Webhook URL"
          hint={
            rule
              ? `Stored: ${rule.webhookUrlMasked}. Leave empty to keep it.`
              : 'An http:// or https:// address; it is kept secret.'
          }
          error={errorFor('webhookUrl')}
        >
          {(props) => (
            <Input
              {...props}
              type="url"
              value={draft.webhookUrl}
              autoComplete="off"
              placeholder={rule ? 'Unchanged' : 'https://hooks.slack.com/services/…'}
              onChange={(event) => set('webhookUrl', event.target.value)}
            />
          )}
        </Field>
        <label className="inline-flex items-center gap-2 text-sm sm:col-span-2">
          <input
            type="checkbox"
            checked={draft.enabled}
            onChange={(event) => set('enabled', event.target.checked)}
          />
          Enabled
        </label>
      </div>
      {save.error && !errorField ? (
        <div className="mt-3">
          <Alert>{save.error.message}</Alert>
        </div>
      ) : null}
    </FormDialog>
  );
}
