import type { Metadata } from 'next';
import { PlaceholderPage } from '@/components/placeholder-page';

export const metadata: Metadata = { title: 'Settings' };

export default function SettingsPage() {
  return (
    <PlaceholderPage
      title="Settings"
      summary="Your account and the monitor’s preferences."
      plans={['Sign-in and API tokens', 'Time zone and refresh preferences']}
    />
  );
}
