import { describeMappingConfigStoreContract } from './mapping-config-store.contract';
import { InMemoryMappingConfigStore } from './mapping-config-store';

describeMappingConfigStoreContract('in-memory', async (settings) => new InMemoryMappingConfigStore(settings));
