'use client';

// Time-series charts on recharts, sized by their container. Colours are mid-tones readable on
// both themes; axis text follows the page's muted ink through currentColor.
//
// A chart is the costliest thing a live page redraws (recharts renders and measures every axis
// label in several passes), so TimeChart redraws only when its props change (it is memoised:
// callers pass data that keeps its identity between live updates, and series and formatters
// declared once, not fresh literals per render), and at most once per `redrawMs` however often
// its data changes. Key a chart by what it shows (a queue, a window) to draw a new one at once.
import { memo, useMemo } from 'react';
import { useThrottled } from '@/lib/use-throttled';
import { Area, AreaChart, CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { formatClock, formatCount, formatDateTime, formatDay } from '@/lib/format';

export interface Series {
  key: string;
  label: string;
  color: string;
}

export const chartColors = {
  succeeded: '#16a34a',
  failed: '#dc2626',
  retried: '#f59e0b',
  revoked: '#9333ea',
  blue: '#2563eb',
  teal: '#0d9488',
  grey: '#64748b',
} as const;

/** p50, p95 and p99 of a duration (runtimes, waits). */
export const percentileSeries: readonly Series[] = [
  { key: 'p50', label: 'p50', color: chartColors.teal },
  { key: 'p95', label: 'p95', color: chartColors.blue },
  { key: 'p99', label: 'p99', color: chartColors.revoked },
];

/** Messages in the broker by state. */
export const depthSeries: readonly Series[] = [
  { key: 'ready', label: 'Ready', color: chartColors.blue },
  { key: 'delayed', label: 'Delayed', color: chartColors.retried },
  { key: 'reserved', label: 'Reserved', color: chartColors.teal },
];

const timeTick = (value: unknown): string => formatClock(Number(value), false);
const timeTickWithSeconds = (value: unknown): string => formatClock(Number(value), true);
const dayTick = (value: unknown): string => formatDay(Number(value));
const tooltipLabel = (value: unknown): string => formatDateTime(typeof value === 'number' || typeof value === 'string' ? value : null);
const axis = { stroke: 'currentColor', tick: { fill: 'currentColor', fontSize: 11 } };
const margin = { top: 8, right: 12, bottom: 0, left: 0 };

const tooltipStyle = {
  background: 'var(--lv-surface-raised)',
  border: '1px solid var(--lv-line)',
  borderRadius: 6,
  color: 'var(--lv-ink)',
  fontSize: 12,
};

interface ChartProps {
  title: string;
  /** Rows keyed by `at` (ms) plus one number (or null) per series. */
  data: Record<string, number | null>[];
  series: readonly Series[];
  kind?: 'line' | 'area';
  stacked?: boolean;
  height?: number;
  formatValue?: (value: number) => string;
}

/** A labelled chart: `data` rows keyed by `at` (ms) plus one number (or null) per series. */
export const TimeChart = memo(function TimeChart({
  data,
  redrawMs = 10_000,
  ...props
}: ChartProps & {
  /** Shortest time between two redraws for new data. */
  redrawMs?: number;
}) {
  // The chart below is memoised too, so data that changed again before its turn re-renders
  // only this wrapper, not recharts' tree.
  return <Chart data={useThrottled(data, redrawMs)} {...props} />;
});

const Chart = memo(function Chart({ title, data, series, kind = 'line', stacked = false, height = 220, formatValue = formatCount }: ChartProps) {
  const { withSeconds, days, wholeNumbers, sparse } = useMemo(() => {
    let first = Infinity;
    let last = -Infinity;
    for (const row of data) {
      const at = row.at ?? 0;
      if (at < first) first = at;
      if (at > last) last = at;
    }
    return {
      withSeconds: data.length > 0 && last - first < 10 * 60_000,
      // Over more than two days a time of day tells nothing apart: ticks name the day.
      days: data.length > 0 && last - first > 2 * 86_400_000,
      // Counts get whole-number ticks: 0, 1, 2 rather than 0, 0.5, 1 printed as 0, 1, 1.
      wholeNumbers: data.every((row) => series.every((item) => row[item.key] == null || Number.isInteger(row[item.key]))),
      // A series with one or two points draws no visible line; dots show them.
      sparse: new Set(series.filter((item) => data.filter((row) => row[item.key] != null).length <= 2).map((item) => item.key)),
    };
  }, [data, series]);
  const tooltip = (
    <Tooltip
      contentStyle={tooltipStyle}
      labelFormatter={tooltipLabel}
      formatter={(value) => (typeof value === 'number' ? formatValue(value) : String(value ?? '—'))}
    />
  );
  const xAxis = (
    <XAxis dataKey="at" type="number" scale="time" domain={['dataMin', 'dataMax']} tickFormatter={days ? dayTick : withSeconds ? timeTickWithSeconds : timeTick} {...axis} />
  );
  const yAxis = <YAxis width={60} allowDecimals={!wholeNumbers} tickFormatter={formatValue} {...axis} />;
  return (
    <figure aria-label={title} className="text-ink-muted">
      <figcaption className="mb-2 text-sm font-medium text-ink">{title}</figcaption>
      <div style={{ height }}>
        <ResponsiveContainer width="100%" height="100%">
          {kind === 'area' ? (
            <AreaChart data={data} margin={margin}>
              <CartesianGrid strokeDasharray="3 3" stroke="currentColor" strokeOpacity={0.15} />
              {xAxis}
              {yAxis}
              {tooltip}
              {series.map((item) => (
                <Area
                  key={item.key}
                  type="monotone"
                  dataKey={item.key}
                  name={item.label}
                  stroke={item.color}
                  fill={item.color}
                  fillOpacity={0.35}
                  dot={sparse.has(item.key) ? { r: 3, fill: item.color } : false}
                  isAnimationActive={false}
                  {...(stacked ? { stackId: 'all' } : {})}
                />
              ))}
            </AreaChart>
          ) : (
            <LineChart data={data} margin={margin}>
              <CartesianGrid strokeDasharray="3 3" stroke="currentColor" strokeOpacity={0.15} />
              {xAxis}
              {yAxis}
              {tooltip}
              {series.map((item) => (
                <Line
                  key={item.key}
                  type="monotone"
                  dataKey={item.key}
                  name={item.label}
                  stroke={item.color}
                  dot={sparse.has(item.key) ? { r: 3, fill: item.color } : false}
                  connectNulls
                  isAnimationActive={false}
                />
              ))}
            </LineChart>
          )}
        </ResponsiveContainer>
      </div>
      <ul className="mt-2 flex flex-wrap gap-3 text-xs">
        {series.map((item) => (
          <li key={item.key} className="inline-flex items-center gap-1.5">
            <span aria-hidden="true" className="inline-block size-2.5 rounded-sm" style={{ background: item.color }} />
            {item.label}
          </li>
        ))}
      </ul>
    </figure>
  );
});

/** A tiny line with no axes, for table cells. */
export function Sparkline({ values, label, color = chartColors.blue }: { values: number[]; label: string; color?: string }) {
  if (values.length < 2) return <span className="text-xs text-ink-muted">—</span>;
  const width = 80;
  const height = 20;
  const max = Math.max(...values, 1);
  const min = Math.min(...values, 0);
  const span = max - min || 1;
  const points = values
    .map((value, index) => `${((index / (values.length - 1)) * width).toFixed(1)},${(height - ((value - min) / span) * height).toFixed(1)}`)
    .join(' ');
  return (
    <svg role="img" aria-label={label} width={width} height={height} viewBox={`0 0 ${width} ${height}`} className="overflow-visible">
      <polyline points={points} fill="none" stroke={color} strokeWidth={1.5} />
    </svg>
  );
}
