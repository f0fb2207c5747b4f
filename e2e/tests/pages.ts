/** The dashboard's sections as the navigation names them, with their URL and heading. */
export const pages = [
  { name: 'Overview', path: '/', heading: 'Overview', slug: 'overview' },
  { name: 'Tasks', path: '/tasks', heading: 'Tasks', slug: 'tasks' },
  { name: 'Workers', path: '/workers', heading: 'Workers', slug: 'workers' },
  { name: 'Queues', path: '/queues', heading: 'Queues', slug: 'queues' },
  { name: 'Schedules', path: '/schedules', heading: 'Schedules', slug: 'schedules' },
  { name: 'Dead letters', path: '/dead-letters', heading: 'Dead letters', slug: 'dead-letters' },
  { name: 'Audit log', path: '/audit', heading: 'Audit log', slug: 'audit-log' },
  { name: 'Settings', path: '/settings', heading: 'Settings', slug: 'settings' },
] as const;
