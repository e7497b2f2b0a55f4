export { METRIC } from './names';
export type { MetricName } from './names';
export { MergedExposition } from './merge';
export type { Exposition } from './merge';
