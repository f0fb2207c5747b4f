import { describe, expect, it } from 'vitest';
import { crontab, parseCrontab } from './crontab.js';
import { describeClocked, describeCrontab, describeInterval, describeSchedule } from './describe.js';
import { resolveSchedule } from './schedule.js';

const cron = (expression: string, timeZone = 'UTC'): string =>
  describeCrontab(parseCrontab(expression), timeZone);

describe('describeSchedule', () => {
  it('describes the seed schedules', () => {
    expect(
      describeSchedule(
        resolveSchedule('daily-report', {
          task: 't',
          schedule: crontab({ hour: 8, minute: 0 }),
          timezone: 'Europe/Paris',
        }),
      ),
    ).toBe('At 08:00 every day (Europe/Paris)');
    expect(describeSchedule(resolveSchedule('cleanup-every-hour', { task: 't', schedule: '1h' }))).toBe(
      'Every hour',
    );
  });

  it('describes intervals in their largest whole unit', () => {
    expect(describeInterval(90_000)).toBe('Every 90 seconds');
    expect(describeInterval(3_600_000)).toBe('Every hour');
    expect(describeInterval(7_200_000)).toBe('Every 2 hours');
    expect(describeInterval(5_400_000)).toBe('Every 90 minutes');
    expect(describeInterval(86_400_000)).toBe('Every day');
    expect(describeInterval(1_500)).toBe('Every 1500 milliseconds');
  });

  it('describes a clocked run in UTC or in the schedule zone', () => {
    expect(describeClocked(new Date('2026-12-01T09:00:00Z'))).toBe('Once at 2026-12-01 09:00 UTC');
    expect(describeClocked(new Date('2026-12-01T09:00:00Z'), 'Europe/Paris')).toBe(
      'Once at 2026-12-01 10:00 (Europe/Paris)',
    );
    expect(
      describeSchedule(resolveSchedule('c', { task: 't', schedule: { clocked: '2026-12-01T09:00:30Z' } })),
    ).toBe('Once at 2026-12-01 09:00:30 UTC');
  });
});

describe('describeCrontab', () => {
  const table: [expression: string, text: string][] = [
    ['0 8 * * *', 'At 08:00 every day (UTC)'],
    ['30 8,17 * * *', 'At 08:30 and 17:30 every day (UTC)'],
    ['0 */2 * * 1-5', 'At minute 0 past every 2nd hour on Monday through Friday (UTC)'],
    ['0 * * * *', 'At minute 0 past every hour (UTC)'],
    ['* * * * *', 'Every minute (UTC)'],
    ['*/15 * * * *', 'Every 15 minutes (UTC)'],
    ['0 9 * * mon-fri', 'At 09:00 on Monday through Friday (UTC)'],
    ['0 9 * * 1,3,5', 'At 09:00 on Monday, Wednesday and Friday (UTC)'],
    ['0 9 * * 0', 'At 09:00 on Sunday (UTC)'],
    ['0 9 * * 7', 'At 09:00 on Sunday (UTC)'],
    ['0 0 1 * *', 'At 00:00 on day 1 of the month (UTC)'],
    ['0 0 L * *', 'At 00:00 on the last day of the month (UTC)'],
    ['0 0 1,15 * *', 'At 00:00 on day 1 and 15 of the month (UTC)'],
    ['0 0 1 jan,jul *', 'At 00:00 on day 1 of the month in January and July (UTC)'],
    ['0 0 * 3-5 *', 'At 00:00 every day in March through May (UTC)'],
    ['0 9 13 * fri', 'At 09:00 on day 13 of the month or on Friday (UTC)'],
    ['5 0-12 * * *', 'At minute 5 past hour 0 through 12 (UTC)'],
    ['15,45 * * * *', 'At minutes 15 and 45 past every hour (UTC)'],
  ];
  it.each(table)('%s reads "%s"', (expression, text) => {
    expect(cron(expression)).toBe(text);
  });

  it('falls back to the cron text for unusual shapes', () => {
    expect(cron('5-10/2 1-3 * * *')).toBe('Cron "5-10/2 1-3 * * *" (UTC)');
    expect(cron('0 9 */2 * mon')).toBe('Cron "0 9 */2 * mon" (UTC)');
    expect(cron('0,30 9-17 * * *', 'Asia/Tokyo')).toBe('Cron "0,30 9-17 * * *" (Asia/Tokyo)');
    expect(cron('0,30 9 * * *', 'Asia/Tokyo')).toBe('At 09:00 and 09:30 every day (Asia/Tokyo)');
  });
});
