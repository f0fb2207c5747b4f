/** The dashboard's sections, in the order the navigation shows them. */
export const navigation = [
  { href: '/', label: 'Overview' },
  { href: '/tasks', label: 'Tasks' },
  { href: '/workers', label: 'Workers' },
  { href: '/queues', label: 'Queues' },
  { href: '/schedules', label: 'Schedules' },
  { href: '/dead-letters', label: 'Dead letters' },
  { href: '/audit', label: 'Audit log' },
  { href: '/alerts', label: 'Alerts' },
  { href: '/settings', label: 'Settings' },
] as const;

export type NavigationItem = (typeof navigation)[number];

/** "g" then this key goes to the page (the command palette's shortcuts; "?" lists them). */
export const pageShortcuts: Record<string, NavigationItem['href']> = {
  o: '/',
  t: '/tasks',
  w: '/workers',
  q: '/queues',
  s: '/schedules',
  d: '/dead-letters',
  a: '/audit',
};
