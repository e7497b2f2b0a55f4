/** One exposition from several registries: same-name families merged under one HELP/TYPE, labels added. */
import { expect } from 'chai';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { MergedExposition } from '../../src/metrics';

describe('MergedExposition (unit)', () => {
  it('merges same-name families of several registries and labels each registry\'s series', async () => {
    const a = new Registry();
    const b = new Registry();
    new Gauge({ name: 'x_gauge', help: 'a gauge', registers: [a] }).set(1);
    new Gauge({ name: 'x_gauge', help: 'a gauge', registers: [b] }).set(2);
    new Counter({ name: 'x_total', help: 'with "quotes"\nand newline', labelNames: ['k'], registers: [b] }).inc({ k: 'v"1' }, 3);
    new Histogram({ name: 'x_seconds', help: 'h', buckets: [1], registers: [a] }).observe(0.5);
    const m = new MergedExposition();
    m.add(a, { process: 'broker', brokerId: '0' });
    m.add(b, { process: 'broker', brokerId: '1' });
    const text = await m.metrics();
    expect(text.match(/^# TYPE x_gauge gauge$/gm)).to.have.length(1);
    expect(text).to.contain('x_gauge{process="broker",brokerId="0"} 1\nx_gauge{process="broker",brokerId="1"} 2\n');
    expect(text).to.contain('x_total{process="broker",brokerId="1",k="v\\"1"} 3');
    expect(text).to.contain('# HELP x_total with "quotes"\\nand newline');
    expect(text).to.match(/^x_seconds_bucket\{process="broker",brokerId="0",le="\+Inf"\} 1$/m);
    expect(text).to.match(/^x_seconds_count\{process="broker",brokerId="0"\} 1$/m);
  });
});
