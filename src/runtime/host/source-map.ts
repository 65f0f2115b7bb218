/**
 * @module runtime/host/source-map
 * Maps stack frames of the bundled function back to the package's own files, so an execution
 * error reads `Error: boom\n    at handler (index.js:4:9)` with the line the user wrote
 * (esbuild's source map v3, base64 VLQ). The runtime's own frames are dropped.
 */

const B64 = new Map([...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'].map((c, i) => [c, i]));

/** Per generated line: segments [generatedColumn, sourceIndex, sourceLine, sourceColumn]. */
type Segment = [number, number, number, number];

function decodeMappings(mappings: string): Segment[][] {
  const lines: Segment[][] = [];
  let src = 0;
  let srcLine = 0;
  let srcCol = 0;
  for (const line of mappings.split(';')) {
    const segs: Segment[] = [];
    let genCol = 0;
    for (const seg of line.split(',')) {
      if (!seg) continue;
      const v: number[] = [];
      let shift = 0;
      let value = 0;
      for (const ch of seg) {
        const d = B64.get(ch) ?? 0;
        value += (d & 31) << shift;
        if (d & 32) {
          shift += 5;
        } else {
          v.push(value & 1 ? -(value >>> 1) : value >>> 1);
          value = 0;
          shift = 0;
        }
      }
      genCol += v[0] ?? 0;
      if (v.length >= 4) {
        src += v[1]!;
        srcLine += v[2]!;
        srcCol += v[3]!;
        segs.push([genCol, src, srcLine, srcCol]);
      }
    }
    lines.push(segs);
  }
  return lines;
}

/**
 * A function rewriting `file:L:C` references of the compiled script `file` (whose first
 * `lineOffset` lines are the module wrapper) to original positions.
 */
export function stackRemapper(mapJson: string, file: string, lineOffset: number): (text: string) => string {
  let decoded: { sources: string[]; lines: Segment[][] } | undefined;
  const escaped = file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const ref = new RegExp(`${escaped}:(\\d+):(\\d+)`, 'g');
  return (text) => {
    if (!text.includes(file) && !text.includes('verge:runtime')) return text;
    decoded ??= (() => {
      const m = JSON.parse(mapJson) as { sources: string[]; mappings: string };
      return { sources: m.sources.map((s) => s.replace(/^(\.\.\/)+/, '')), lines: decodeMappings(m.mappings) };
    })();
    const d = decoded;
    return text
      .split('\n')
      .filter((l) => !/^\s+at .*verge:(runtime|builtin)/.test(l))
      .join('\n')
      .replace(ref, (whole, l: string, c: string) => {
        const segs = d.lines[Number(l) - 1 - lineOffset];
        if (!segs || segs.length === 0) return whole;
        const col = Number(c) - 1;
        let best = segs[0]!;
        for (const s of segs) if (s[0] <= col) best = s;
        return `${d.sources[best[1]] ?? file}:${best[2] + 1}:${best[3] + 1}`;
      });
  };
}
