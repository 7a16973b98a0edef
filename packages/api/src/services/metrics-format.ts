/**
 * The Prometheus text exposition format (version 0.0.4), written by hand: a few families of
 * gauges and one histogram do not justify a client library.
 * https://prometheus.io/docs/instrumenting/exposition_formats/
 */

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export type Labels = Record<string, string>;

export type Sample = { labels?: Labels; value: number };

export type MetricFamily =
  | { name: string; help: string; type: 'gauge' | 'counter'; samples: Sample[] }
  | { name: string; help: string; type: 'histogram'; histograms: HistogramSnapshot[] };

export type HistogramSnapshot = {
  labels: Labels;
  /** Upper bounds, ascending, without +Inf. */
  bounds: readonly number[];
  /** Per bound, the number of observations <= it (cumulative). */
  cumulative: readonly number[];
  count: number;
  sum: number;
};

/** Label values escape backslash, double quote and newline; nothing else. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** HELP text escapes backslash and newline. */
function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

function formatLabels(labels: Labels | undefined): string {
  const entries = Object.entries(labels ?? {});
  if (entries.length === 0) return '';
  return `{${entries.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}`;
}

export function formatMetrics(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const f of families) {
    lines.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    if (f.type === 'histogram') {
      for (const h of f.histograms) {
        h.bounds.forEach((le, i) => {
          const labels = formatLabels({ ...h.labels, le: formatValue(le) });
          lines.push(`${f.name}_bucket${labels} ${h.cumulative[i] ?? 0}`);
        });
        lines.push(`${f.name}_bucket${formatLabels({ ...h.labels, le: '+Inf' })} ${h.count}`);
        lines.push(`${f.name}_sum${formatLabels(h.labels)} ${formatValue(h.sum)}`);
        lines.push(`${f.name}_count${formatLabels(h.labels)} ${h.count}`);
      }
    } else {
      for (const s of f.samples) lines.push(`${f.name}${formatLabels(s.labels)} ${formatValue(s.value)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** A histogram per label value (one label), with fixed buckets; observations in seconds. */
export class Histogram {
  private readonly series = new Map<string, { buckets: number[]; count: number; sum: number }>();

  constructor(
    private readonly label: string,
    readonly bounds: readonly number[],
  ) {}

  observe(labelValue: string, value: number): void {
    let s = this.series.get(labelValue);
    if (!s) {
      s = { buckets: this.bounds.map(() => 0), count: 0, sum: 0 };
      this.series.set(labelValue, s);
    }
    // Buckets are kept cumulative: every bound at or above the value counts it.
    this.bounds.forEach((le, i) => {
      if (value <= le && s) s.buckets[i] = (s.buckets[i] ?? 0) + 1;
    });
    s.count += 1;
    s.sum += value;
  }

  snapshot(): HistogramSnapshot[] {
    return [...this.series.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([value, s]) => ({
        labels: { [this.label]: value },
        bounds: this.bounds,
        cumulative: [...s.buckets],
        count: s.count,
        sum: s.sum,
      }));
  }
}
