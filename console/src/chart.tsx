/**
 * @module console/chart
 * A uPlot line chart that fills its card's width and follows resizes. Takes aligned data:
 * one x array (epoch seconds) and one y array per named line (null for gaps). A gap stays a
 * gap: no line is drawn across buckets with no data (a lone bucket shows as a point), and the
 * y axis carries the unit.
 */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

const COLORS = ['#2563eb', '#16a34a', '#dc2626', '#9333ea', '#ea580c', '#0891b2', '#ca8a04'];

/** Time ticks as a clock (`17:09`, with seconds when the window is under 10 minutes): uPlot's own
 * ticks put a date under the first one, which overlaps its neighbours on a narrow chart. */
function clockTicks(_u: uPlot, splits: number[]): string[] {
  const span = (splits.at(-1) ?? 0) - (splits[0] ?? 0);
  const pad = (n: number) => String(n).padStart(2, '0');
  return splits.map((s) => {
    const d = new Date(s * 1000);
    const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
    return span < 600 ? `${hm}:${pad(d.getSeconds())}` : hm;
  });
}

export interface ChartLine {
  label: string;
  values: Array<number | null>;
}

export function Chart(props: {
  title: string;
  x: number[];
  lines: ChartLine[];
  unit?: string;
  sparse?: boolean;
  /** One color per line (defaults to the palette in order). */
  colors?: string[];
}) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = host.current!;
    const width = () => Math.max(240, el.clientWidth);
    const opts: uPlot.Options = {
      width: width(),
      height: 180,
      series: [
        {},
        ...props.lines.map((l, i) => ({
          label: l.label,
          stroke: props.colors?.[i] ?? COLORS[i % COLORS.length]!,
          width: 1.5,
          // Sparse series (durations, ratios) are null where nothing happened: never join across
          // those gaps (it would draw data that does not exist); points make a lone bucket visible.
          spanGaps: false,
          points: { show: !!props.sparse, size: 6 },
          value: (_u: uPlot, v: number | null) =>
            v === null || v === undefined ? '–' : `${+v.toFixed(2)}${props.unit ?? ''}`,
        })),
      ],
      axes: [
        { stroke: '#5b6778', grid: { stroke: '#eef1f5' }, values: clockTicks },
        {
          stroke: '#5b6778',
          grid: { stroke: '#eef1f5' },
          size: 60,
          values: (_u: uPlot, splits: number[]) => splits.map((v) => `${+v.toFixed(2)}${props.unit ?? ''}`),
        },
      ],
      scales: { x: { time: true } },
      cursor: { drag: { x: false, y: false } },
    };
    const data: uPlot.AlignedData = [props.x, ...props.lines.map((l) => l.values)];
    const plot = new uPlot(opts, data, el);
    const ro = new ResizeObserver(() => plot.setSize({ width: width(), height: 180 }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.destroy();
    };
  }, [props.x, props.lines, props.unit, props.sparse, props.colors]);
  return (
    <section className="card chart-card">
      <h2>
        {props.title}
        {props.unit ? <span className="muted small"> ({props.unit.trim()})</span> : null}
      </h2>
      <div className="chart" ref={host} data-title={props.title} />
    </section>
  );
}
