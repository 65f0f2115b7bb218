/**
 * @module edge/observe/stats
 * In-process counters and latency histograms of one edge: what scenario tests assert on
 * (origin fetches, hits, collapsed requests) and what `/metrics` exposes in Prometheus text.
 */

const BUCKETS_MS = [1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000];

export class Histogram {
  readonly counts = new Array<number>(BUCKETS_MS.length + 1).fill(0);
  sum = 0;
  count = 0;
  observe(ms: number): void {
    let i = 0;
    while (i < BUCKETS_MS.length && ms > BUCKETS_MS[i]!) i++;
    this.counts[i]!++;
    this.sum += ms;
    this.count++;
  }
  // Percentiles are read where histograms are merged (control/telemetry/metrics.ts quantile), not per edge.
}

/** A counter keyed by a label set rendered as a stable string. */
export class LabeledCounter {
  readonly values = new Map<string, number>();
  inc(labels: Record<string, string | number>, by = 1): void {
    const k = renderLabels(labels);
    this.values.set(k, (this.values.get(k) ?? 0) + by);
  }
  /** Hot-path form: `rendered` must come from `renderLabels` (cache it per label set). */
  incRendered(rendered: string, by = 1): void {
    this.values.set(rendered, (this.values.get(rendered) ?? 0) + by);
  }
  get(labels: Record<string, string | number>): number {
    return this.values.get(renderLabels(labels)) ?? 0;
  }
  /** Sum over every label set whose labels include `match`. */
  sum(match: Record<string, string | number> = {}): number {
    const parts = Object.entries(match).map(([k, v]) => `${k}="${escapeLabel(String(v))}"`);
    let total = 0;
    for (const [k, v] of this.values) if (parts.every((p) => k.includes(p))) total += v;
    return total;
  }
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
export function renderLabels(labels: Record<string, string | number>): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}="${escapeLabel(String(labels[k]))}"`)
    .join(',');
}

/**
 * Rendered Prometheus label sets by distribution, result and status class, so counting a request
 * neither sorts and escapes labels nor builds a string to look them up by.
 */
const labelCache = new Map<string, Map<string, Array<[requests: string, bytes: string]>>>();
let labelSets = 0;

/** The rendered label sets a request is counted under: `verge_requests_total`'s and `verge_bytes_sent_total`'s. */
export function requestLabels(distId: string, result: string, statusClass: number): [string, string] {
  const known = labelCache.get(distId)?.get(result)?.[statusClass];
  if (known !== undefined) return known;
  if (labelSets >= 10_000) {
    labelCache.clear();
    labelSets = 0;
  }
  let byResult = labelCache.get(distId);
  if (byResult === undefined) labelCache.set(distId, (byResult = new Map()));
  let byClass = byResult.get(result);
  if (byClass === undefined) byResult.set(result, (byClass = []));
  const l: [string, string] = [
    renderLabels({ distribution: distId, result, status: `${statusClass}xx` }),
    renderLabels({ distribution: distId }),
  ];
  byClass[statusClass] = l;
  labelSets++;
  return l;
}

export class EdgeStats {
  /** Viewer requests by distribution, result type and status class. */
  readonly requests = new LabeledCounter();
  readonly bytesSent = new LabeledCounter();
  /** Requests sent to origins, by distribution, origin and outcome. */
  readonly originFetches = new LabeledCounter();
  /** Viewer requests that joined another request's origin fetch. */
  readonly collapsed = new LabeledCounter();
  readonly invalidations = new LabeledCounter();
  readonly functionInvocations = new LabeledCounter();
  readonly functionDuration = new Map<string, Histogram>();
  readonly requestDuration = new Histogram();
  readonly originLatency = new Histogram();
  readonly startedAt = Date.now();

  observeFunction(labels: { function: string; version: string; event: string }, ms: number): void {
    const k = renderLabels(labels);
    let h = this.functionDuration.get(k);
    if (!h) this.functionDuration.set(k, (h = new Histogram()));
    h.observe(ms);
  }

  /** Prometheus text exposition (version 0.0.4). */
  render(extra: Record<string, number> = {}): string {
    const out: string[] = [];
    const counter = (name: string, help: string, c: LabeledCounter) => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
      for (const [k, v] of c.values) out.push(`${name}{${k}} ${v}`);
    };
    const hist = (name: string, help: string, entries: Array<[string, Histogram]>) => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} histogram`);
      for (const [labels, h] of entries) {
        let acc = 0;
        const sep = labels ? labels + ',' : '';
        h.counts.forEach((c, i) => {
          acc += c;
          const le = i < BUCKETS_MS.length ? String(BUCKETS_MS[i]! / 1000) : '+Inf';
          out.push(`${name}_bucket{${sep}le="${le}"} ${acc}`);
        });
        out.push(`${name}_sum{${labels}} ${h.sum / 1000}`, `${name}_count{${labels}} ${h.count}`);
      }
    };
    counter('verge_requests_total', 'Viewer requests by distribution, result type and status class.', this.requests);
    counter('verge_bytes_sent_total', 'Response bytes sent to viewers.', this.bytesSent);
    counter('verge_origin_fetches_total', 'Requests sent to origins.', this.originFetches);
    counter(
      'verge_collapsed_requests_total',
      'Viewer requests served by joining another origin fetch.',
      this.collapsed,
    );
    counter('verge_invalidations_total', 'Objects removed by invalidations.', this.invalidations);
    counter('verge_function_invocations_total', 'Function invocations by outcome.', this.functionInvocations);
    hist('verge_request_duration_seconds', 'Time to the last byte for viewer requests.', [['', this.requestDuration]]);
    hist('verge_origin_latency_seconds', 'Origin fetch time.', [['', this.originLatency]]);
    hist('verge_function_duration_seconds', 'Function invocation time.', [...this.functionDuration.entries()]);
    for (const [k, v] of Object.entries(extra)) out.push(`# TYPE ${k} gauge`, `${k} ${v}`);
    return out.join('\n') + '\n';
  }
}
