export { METRIC } from './names';
export type { MetricName } from './names';
