import Link from 'next/link';
import { SiteHeader } from '@/components/site-header';
import { SkipLink } from '@/components/skip-link';
import { PageHeader } from '@/components/ui/page-header';

export default function NotFound() {
  return (
    <>
      <SkipLink />
      <SiteHeader />
      <main id="main" className="mx-auto max-w-6xl px-4 py-8">
        <PageHeader title="Page not found">There is nothing at this address.</PageHeader>
        <Link href="/" className="text-accent underline">
          Back to the overview
        </Link>
      </main>
    </>
  );
}
