import type { Metadata } from 'next';
import Link from 'next/link';
import { Alert } from '@/components/ui/alert';
import { buttonClasses } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { ScrollRegion } from '@/components/ui/data-table';
import { Input } from '@/components/ui/input';
import { Label } from '@/components/ui/label';
import { PageHeader } from '@/components/ui/page-header';
import { ApiError } from '@/lib/api-error';
import { formatDateTime } from '@/lib/format';
import type { AuditPage } from '@/lib/api-types';
import { gatewayGet } from '@/lib/gateway-server';
import { redirectToLogin, requireUser } from '@/lib/session';

export const metadata: Metadata = { title: 'Audit log' };

const pageSize = 50;

type SearchParams = Record<string, string | string[] | undefined>;

function single(value: string | string[] | undefined): string {
  return (typeof value === 'string' ? value : '').trim();
}

function auditHref(filters: { actor: string; action: string }, cursor?: string): string {
  const params = new URLSearchParams();
  if (filters.actor) params.set('actor', filters.actor);
  if (filters.action) params.set('action', filters.action);
  if (cursor) params.set('cursor', cursor);
  const search = params.toString();
  return search ? `/audit?${search}` : '/audit';
}

function formatParams(params: unknown): string {
  if (params === null || params === undefined) return '';
  const text = JSON.stringify(params);
  return text.length > 120 ? `${text.slice(0, 117)}…` : text;
}

// The filters live in the URL (a plain GET form), so a filtered view can be bookmarked and shared.
export default async function AuditLogPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  if (!(await requireUser())) return null;
  const query = await searchParams;
  const filters = { actor: single(query.actor), action: single(query.action) };
  const cursor = single(query.cursor);

  const params = new URLSearchParams({ limit: String(pageSize) });
  if (filters.actor) params.set('actor', filters.actor);
  if (filters.action) params.set('action', filters.action);
  if (cursor) params.set('cursor', cursor);

  let page: AuditPage | null = null;
  let failure: string | null = null;
  try {
    page = await gatewayGet<AuditPage>(`/api/v1/audit?${params.toString()}`);
  } catch (error) {
    if (error instanceof ApiError && error.isUnauthenticated) return redirectToLogin();
    failure =
      error instanceof ApiError && error.isForbidden
        ? 'Your role may not read the audit log.'
        : error instanceof Error
          ? error.message
          : 'The audit log could not be loaded.';
  }

  return (
    <>
      <PageHeader title="Audit log">
        Who did what, and when: operator actions, sign-ins and schedule edits.
      </PageHeader>
      <form
        method="get"
        action="/audit"
        role="search"
        aria-label="Filter the audit log"
        className="mb-4 flex flex-wrap items-end gap-3"
      >
        <div>
          <Label htmlFor="audit-actor">Actor</Label>
          <Input
            id="audit-actor"
            name="actor"
            defaultValue={filters.actor}
            placeholder="email or token:name"
            className="w-64"
          />
        </div>
        <div>
          <Label htmlFor="audit-action">Action</Label>
          <Input
            id="audit-action"
            name="action"
            defaultValue={filters.action}
            placeholder="e.g. task.revoke"
            className="w-56"
          />
        </div>
        <button type="submit" className={buttonClasses('primary')}>
          Filter
        </button>
        {filters.actor || filters.action ? (
          <Link href="/audit" className={buttonClasses('ghost')}>
            Clear filters
          </Link>
        ) : null}
      </form>
      {failure ? <Alert>{failure}</Alert> : null}
      {page ? (
        <Card title="Entries">
          {page.entries.length === 0 ? (
            <p className="text-sm text-ink-muted">
              No entries{filters.actor || filters.action ? ' match these filters' : ' yet'}.
            </p>
          ) : (
            <ScrollRegion label="Audit log entries">
              <table className="w-full text-left text-sm">
                <caption className="sr-only">Audit log entries, newest first</caption>
                <thead className="text-xs text-ink-muted uppercase">
                  <tr>
                    <th scope="col" className="py-2 pr-4 font-medium">
                      When
                    </th>
                    <th scope="col" className="py-2 pr-4 font-medium">
                      Actor
                    </th>
                    <th scope="col" className="py-2 pr-4 font-medium">
                      Action
                    </th>
                    <th scope="col" className="py-2 pr-4 font-medium">
                      Target
                    </th>
                    <th scope="col" className="py-2 pr-4 font-medium">
                      Outcome
                    </th>
                    <th scope="col" className="py-2 font-medium">
                      Details
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {page.entries.map((entry) => (
                    <tr key={String(entry.id)} className="border-t border-line align-top">
                      <td className="py-2 pr-4 whitespace-nowrap">
                        <time dateTime={entry.at}>{formatDateTime(entry.at)}</time>
                      </td>
                      <td className="py-2 pr-4">{entry.actor}</td>
                      <td className="py-2 pr-4 font-mono text-xs">{entry.action}</td>
                      <td className="py-2 pr-4">{entry.target ?? '—'}</td>
                      <td className={`py-2 pr-4 ${entry.outcome === 'ok' ? 'text-ok' : 'text-bad'}`}>
                        {entry.outcome}
                        {entry.error ? ` (${entry.error})` : ''}
                      </td>
                      <td className="py-2 font-mono text-xs text-ink-muted">{formatParams(entry.params)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </ScrollRegion>
          )}
          <nav aria-label="Audit log pages" className="mt-4 flex gap-3">
            {cursor ? (
              <Link href={auditHref(filters)} className={buttonClasses('secondary', 'sm')}>
                Newest
              </Link>
            ) : null}
            {page.nextCursor ? (
              <Link href={auditHref(filters, page.nextCursor)} className={buttonClasses('secondary', 'sm')}>
                Older entries
              </Link>
            ) : null}
          </nav>
        </Card>
      ) : null}
    </>
  );
}
