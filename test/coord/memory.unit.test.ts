import { MemoryCoordinator } from '../../src/coord';
import { coordConformance } from './conformance';

describe('coord/memory: conformance', () => {
  // One gateway: every "replica" is the same in-process coordinator.
  const shared = new MemoryCoordinator();
  coordConformance({ open: async () => shared });
});
