/**
 * One Prometheus exposition from several Registries of one process (`mq dev` runs a name server, a master, a slave
 * and a gateway in one process; master and slave export the same metric names). Each registry's series get the
 * labels given for it (e.g. `process="broker",brokerName="b",brokerId="1"`), and families of the same name are
 * merged under one HELP/TYPE, as the text format requires. Labels a series already has are kept as they are.
 */
import type { Registry } from 'prom-client';

interface Part {
  registry: Registry;
  labels: Record<string, string>;
}

const escapeLabel = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const escapeHelp = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

function formatValue(v: number): string {
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (Number.isNaN(v)) return 'NaN';
  return String(v);
}

/** Something that serves /metrics: the shape startObservability reads. */
export interface Exposition {
  metrics(): Promise<string>;
  readonly contentType: string;
}

export class MergedExposition implements Exposition {
  readonly contentType = 'text/plain; version=0.0.4; charset=utf-8';
  private readonly parts: Part[] = [];

  /** Adds a registry whose series carry `labels`. */
  add(registry: Registry, labels: Record<string, string>): void {
    this.parts.push({ registry, labels });
  }

  async metrics(): Promise<string> {
    const families = new Map<string, { help: string; type: string; lines: string[] }>();
    for (const p of this.parts) {
      for (const m of await p.registry.getMetricsAsJSON()) {
        let f = families.get(m.name);
        if (!f) families.set(m.name, (f = { help: m.help, type: String(m.type), lines: [] }));
        for (const v of m.values as Array<{ value: number; labels: Record<string, string | number>; metricName?: string }>) {
          const labels: Record<string, string | number> = { ...p.labels, ...v.labels };
          const text = Object.entries(labels)
            .map(([k, x]) => `${k}="${escapeLabel(String(x))}"`)
            .join(',');
          f.lines.push(`${v.metricName ?? m.name}${text ? `{${text}}` : ''} ${formatValue(v.value)}`);
        }
      }
    }
    let out = '';
    for (const [name, f] of families) out += `# HELP ${name} ${escapeHelp(f.help)}\n# TYPE ${name} ${f.type}\n${f.lines.join('\n')}${f.lines.length ? '\n' : ''}`;
    return out;
  }
}
