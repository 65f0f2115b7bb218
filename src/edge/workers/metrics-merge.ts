/**
 * @module edge/workers/metrics-merge
 * One Prometheus exposition from N workers' (`verge edge --workers N`): every sample gets a
 * `worker="<n>"` label, and each metric family is written once, its HELP/TYPE lines first and
 * then every worker's samples, as the text format requires (a family's lines stay together).
 * Summing is left to the query (`sum without (worker) (...)`), so nothing is lost.
 */

interface Family {
  meta: string[];
  samples: string[];
}

/** Merge `texts` (worker number → its /metrics text) into one exposition. */
export function mergeWorkerMetrics(texts: ReadonlyArray<readonly [number, string]>): string {
  const families = new Map<string, Family>();
  const family = (name: string): Family => {
    let f = families.get(name);
    if (!f) families.set(name, (f = { meta: [], samples: [] }));
    return f;
  };
  for (const [worker, text] of texts) {
    let current = '';
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const meta = /^# (HELP|TYPE) (\S+)/.exec(line);
      if (meta) {
        current = meta[2]!;
        const f = family(current);
        if (!f.meta.some((m) => m.startsWith(`# ${meta[1]} `))) f.meta.push(line);
        continue;
      }
      if (line.startsWith('#')) continue;
      // A sample belongs to the family its HELP/TYPE named (histograms add _bucket/_sum/_count).
      const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0] ?? '';
      const owner = current !== '' && name.startsWith(current) ? current : name;
      family(owner).samples.push(withWorker(line, name, worker));
    }
  }
  const out: string[] = [];
  for (const f of families.values()) out.push(...f.meta, ...f.samples);
  return out.join('\n') + '\n';
}

function withWorker(line: string, name: string, worker: number): string {
  const rest = line.slice(name.length);
  const label = `worker="${worker}"`;
  if (rest.startsWith('{}')) return `${name}{${label}}${rest.slice(2)}`;
  if (rest.startsWith('{')) return `${name}{${label},${rest.slice(1)}`;
  return `${name}{${label}}${rest}`;
}
