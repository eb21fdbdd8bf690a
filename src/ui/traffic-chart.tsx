// One uPlot chart, drawn once and fed new columns as polls arrive; it follows its box's width.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  label: string;
  color: string;
  values: (number | null)[];
}

function clock(seconds: number): string {
  return new Date(seconds * 1000).toTimeString().slice(0, 8);
}

export function TrafficChart({ title, time, series, format }: { title: string; time: number[]; series: ChartSeries[]; format: (v: number) => string }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const data = [time, ...series.map((s) => s.values)] as uPlot.AlignedData;

  // Built once per set of series; new points arrive through setData below.
  useEffect(() => {
    const el = box.current!;
    const options: uPlot.Options = {
      width: el.clientWidth || 600,
      height: 220,
      // The legend names the series; the figures above the charts give the latest values.
      legend: { live: false },
      cursor: { drag: { x: false, y: false } },
      scales: { y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.15)] } },
      axes: [
        // Whole seconds at least: points come every two seconds.
        { stroke: '#8b95a7', grid: { stroke: '#eef1f5' }, space: 70, incrs: [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600], values: (_u, ticks) => ticks.map(clock) },
        { stroke: '#8b95a7', grid: { stroke: '#eef1f5' }, size: 84, values: (_u, ticks) => ticks.map(format) },
      ],
      series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.color, width: 2, fill: `${s.color}1f`, points: { show: false } }))],
    };
    plot.current = new uPlot(options, data, el);
    const resize = new ResizeObserver(() => plot.current?.setSize({ width: el.clientWidth, height: 220 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, [series.length]);

  useEffect(() => {
    plot.current?.setData(data);
  });

  return (
    <figure class="chart" data-chart={title}>
      <figcaption>{title}</figcaption>
      <div ref={box} />
    </figure>
  );
}
