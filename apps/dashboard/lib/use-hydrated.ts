// Whether React has hydrated this page. Server-rendered buttons do nothing until then, so the
// ones that act at once (sign in, sign out) stay disabled: a click before hydration would be
// lost, and a sign-in form submitted natively would put the password in the URL.
import { useSyncExternalStore } from 'react';

const noSubscription = () => () => {};

export function useHydrated(): boolean {
  return useSyncExternalStore(
    noSubscription,
    () => true,
    () => false,
  );
}
