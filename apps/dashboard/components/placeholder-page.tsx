import type { ReactNode } from 'react';
import { Card } from './ui/card';
import { PageHeader } from './ui/page-header';

/** A section whose real view is not built yet: its heading and what it will show. */
export function PlaceholderPage({
  title,
  summary,
  plans,
}: {
  title: string;
  summary: string;
  plans: ReactNode[];
}) {
  return (
    <>
      <PageHeader title={title}>{summary}</PageHeader>
      <Card title="Coming next">
        <ul className="list-disc space-y-1 pl-5">
          {plans.map((plan, index) => (
            <li key={index}>{plan}</li>
          ))}
        </ul>
      </Card>
    </>
  );
}
