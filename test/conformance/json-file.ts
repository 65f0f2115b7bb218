/**
 * @module test/conformance/json-file
 * Writes result files (test/conformance/last-results.json, bench/results/*.json) in the layout
 * prettier gives JSON (printWidth 120): objects one key per line, arrays of plain values on one
 * line when they fit. So `npm run format:check` stays green after a test or benchmark run.
 */
import { writeFileSync } from 'node:fs';

const WIDTH = 120;

export function formatJson(value: unknown, indent = '', prefixLength = 0): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  const inner = indent + '  ';
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const plain = value.every((v) => v === null || typeof v !== 'object');
    const flat = `[${value.map((v) => JSON.stringify(v)).join(', ')}]`;
    // +1 for a trailing comma after the value.
    if (plain && indent.length + prefixLength + flat.length + 1 <= WIDTH) return flat;
    return `[\n${value.map((v) => inner + formatJson(v, inner)).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return '{}';
  const lines = entries.map(([k, v]) => {
    const key = `${JSON.stringify(k)}: `;
    return inner + key + formatJson(v, inner, key.length);
  });
  return `{\n${lines.join(',\n')}\n${indent}}`;
}

export function writeJsonFile(path: string, value: unknown): void {
  writeFileSync(path, formatJson(value) + '\n');
}
