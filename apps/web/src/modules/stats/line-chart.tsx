'use client';

import { type PointerEvent, type RefObject, useId, useLayoutEffect, useRef, useState } from 'react';
import { formatTick } from './stats-format';

export interface ChartSeries {
  label: string;
  /** A Tailwind stroke/fill colour class pair, e.g. "stroke-teal-600" + "bg-teal-600" for the legend. */
  stroke: string;
  swatch: string;
  values: (number | null)[];
}

interface Props {
  title: string;
  /** Epoch ms of each point, oldest first; `series[i].values` line up with it. */
  times: number[];
  series: ChartSeries[];
  from: number;
  to: number;
  /** Seconds between points: a longer gap (the object was off, no samples) breaks the line. */
  stepSeconds: number;
  /** The y axis top; values above it are clipped. */
  yMax: number;
  format: (v: number) => string;
  testId?: string;
}

const HEIGHT = 120;
const PAD = { top: 8, right: 8, bottom: 18, left: 52 };

/**
 * A small SVG line chart: y axis 0..yMax with three labels, the range's start/middle/end on the
 * x axis, and on hover a guide line with the nearest point's values. No chart library: this is
 * all Vireo needs, and it draws a few hundred points.
 */
export function LineChart({ title, times, series, from, to, stepSeconds, yMax, format, testId }: Props) {
  const ref = useRef<HTMLDivElement>(null);
  const width = useWidth(ref);
  const [hover, setHover] = useState<number | null>(null);
  const clipId = useId();
  const plotW = Math.max(10, width - PAD.left - PAD.right);
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const span = Math.max(1, to - from);
  const x = (t: number) => PAD.left + ((t - from) / span) * plotW;
  const y = (v: number) => PAD.top + plotH - (Math.min(v, yMax) / yMax) * plotH;

  const onMove = (e: PointerEvent<SVGSVGElement>) => {
    if (times.length === 0) return;
    const rect = e.currentTarget.getBoundingClientRect();
    const t = from + ((e.clientX - rect.left - PAD.left) / plotW) * span;
    setHover(nearestIndex(times, t));
  };
  const hovered = hover !== null && hover < times.length ? hover : null;
  const hoverT = hovered !== null ? times[hovered] : undefined;

  return (
    <figure className="min-w-0 rounded-md border border-zinc-200 bg-white p-2" data-testid={testId}>
      <figcaption className="flex min-h-5 flex-wrap items-baseline gap-x-3 text-xs">
        <span className="font-medium text-zinc-700">{title}</span>
        {series.map((s) => (
          <span key={s.label} className="flex items-center gap-1 text-zinc-500">
            <span className={`inline-block h-0.5 w-3 rounded ${s.swatch}`} />
            {s.label}
            {hovered !== null && (
              <span className="font-medium text-zinc-800 tabular-nums" data-testid="chart-hover-value">
                {fmtOrDash(s.values[hovered], format)}
              </span>
            )}
          </span>
        ))}
        {hoverT !== undefined && (
          <span className="ml-auto text-zinc-500 tabular-nums">{formatTick(hoverT, span, true)}</span>
        )}
      </figcaption>
      <div ref={ref} className="w-full">
        <svg
          width={width}
          height={HEIGHT}
          role="img"
          aria-label={title}
          className="block touch-none select-none"
          onPointerMove={onMove}
          onPointerLeave={() => setHover(null)}
        >
          <defs>
            <clipPath id={clipId}>
              <rect x={PAD.left} y={PAD.top - 1} width={plotW} height={plotH + 2} />
            </clipPath>
          </defs>
          {[0, 0.5, 1].map((f) => (
            <g key={f}>
              <line
                x1={PAD.left}
                x2={PAD.left + plotW}
                y1={y(f * yMax)}
                y2={y(f * yMax)}
                className={f === 0 ? 'stroke-zinc-300' : 'stroke-zinc-100'}
              />
              <text
                x={PAD.left - 4}
                y={y(f * yMax)}
                dy="0.32em"
                textAnchor="end"
                className="fill-zinc-500 text-[10px] tabular-nums"
              >
                {format(f * yMax)}
              </text>
            </g>
          ))}
          {[from, from + span / 2, to].map((t, i) => (
            <text
              key={t}
              x={x(t)}
              y={HEIGHT - 4}
              textAnchor={i === 0 ? 'start' : i === 2 ? 'end' : 'middle'}
              className="fill-zinc-500 text-[10px] tabular-nums"
            >
              {formatTick(t, span)}
            </text>
          ))}
          <g clipPath={`url(#${clipId})`}>
            {series.map((s) => (
              <path
                key={s.label}
                d={linePath(times, s.values, stepSeconds * 1000 * 2.5, x, y)}
                data-testid="chart-line"
                data-series={s.label}
                fill="none"
                strokeWidth={1.5}
                strokeLinejoin="round"
                className={s.stroke}
              />
            ))}
          </g>
          {hoverT !== undefined && (
            <line
              x1={x(hoverT)}
              x2={x(hoverT)}
              y1={PAD.top}
              y2={PAD.top + plotH}
              className="stroke-zinc-400"
              strokeDasharray="2 2"
            />
          )}
          {times.length === 0 && (
            <text
              x={PAD.left + plotW / 2}
              y={PAD.top + plotH / 2}
              textAnchor="middle"
              className="fill-zinc-400 text-xs"
            >
              No samples in this range yet
            </text>
          )}
        </svg>
      </div>
    </figure>
  );
}

const fmtOrDash = (v: number | null | undefined, format: (v: number) => string) =>
  v === null || v === undefined ? '—' : format(v);

/** "M x y L x y …", starting a new segment after a missing value or a gap longer than `maxGapMs`. */
export function linePath(
  times: number[],
  values: (number | null)[],
  maxGapMs: number,
  x: (t: number) => number,
  y: (v: number) => number,
): string {
  let d = '';
  let prevT: number | null = null;
  for (let i = 0; i < times.length; i++) {
    const t = times[i] as number;
    const v = values[i];
    if (v === null || v === undefined) {
      prevT = null;
      continue;
    }
    const cmd = prevT === null || t - prevT > maxGapMs ? 'M' : 'L';
    d += `${cmd}${x(t).toFixed(1)} ${y(v).toFixed(1)}`;
    prevT = t;
  }
  return d;
}

function nearestIndex(times: number[], t: number): number {
  let lo = 0;
  let hi = times.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((times[mid] as number) < t) lo = mid + 1;
    else hi = mid;
  }
  if (lo > 0 && Math.abs((times[lo - 1] as number) - t) < Math.abs((times[lo] as number) - t)) return lo - 1;
  return lo;
}

/** The element's width, following resizes (the SVG is drawn in real pixels so text stays crisp). */
function useWidth(ref: RefObject<HTMLDivElement | null>): number {
  const [width, setWidth] = useState(320);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    setWidth(el.clientWidth || 320);
    const observer = new ResizeObserver(([entry]) => {
      if (entry) setWidth(Math.round(entry.contentRect.width));
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, [ref]);
  return width;
}
