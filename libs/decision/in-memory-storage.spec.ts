import { describeDecisionStorageContract } from './decision-storage.contract';
import { InMemoryDecisionStorage } from './in-memory-storage';

// The in-memory lease store has no undo: a failed transaction's records are discarded, its leases are not.
describeDecisionStorageContract(
  'in-memory',
  async (pools) => {
    const storage = new InMemoryDecisionStorage(pools);
    return { storage, leases: storage.leases, recordIds: async () => storage.records.map((r) => r.id) };
  },
  { leasesRollBack: false },
);
