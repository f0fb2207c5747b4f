'use client';

// The window picker of the Overview, the Queues page and a queue's page: the same windows,
// labelled the same way, over the gateway's per-minute history (and its hourly
// rollups, for the part of a long window past the metric retention).
import { useId } from 'react';
import { Select } from '@/components/ui/input';
import { Label } from '@/components/ui/label';
import { throughputWindows, type ThroughputWindow } from '@/lib/monitor';

export const windowLabels: Record<ThroughputWindow, string> = {
  '15m': 'Last 15 minutes',
  '1h': 'Last hour',
  '6h': 'Last 6 hours',
  '24h': 'Last 24 hours',
  '7d': 'Last 7 days',
  '30d': 'Last 30 days',
  '90d': 'Last 90 days',
  '365d': 'Last year',
};

/** A point's width in a chart title: "per minute", "per 5 minutes", "per 6 hours", "per day". */
export function perStep(bucketSeconds: number): string {
  const minutes = bucketSeconds / 60;
  if (minutes === 1) return 'per minute';
  if (minutes < 60) return `per ${minutes} minutes`;
  if (minutes === 1_440) return 'per day';
  return minutes === 60 ? 'per hour' : `per ${minutes / 60} hours`;
}

export function WindowPicker({ value, onChange }: { value: ThroughputWindow; onChange: (window: ThroughputWindow) => void }) {
  const id = useId();
  return (
    <div>
      <Label htmlFor={`${id}-window`}>Window</Label>
      <Select id={`${id}-window`} value={value} onChange={(event) => onChange(event.target.value as ThroughputWindow)}>
        {throughputWindows.map((item) => (
          <option key={item} value={item}>
            {windowLabels[item]}
          </option>
        ))}
      </Select>
    </div>
  );
}
