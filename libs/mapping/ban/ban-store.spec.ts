import { describeBanStoreContract } from './ban-store.contract';
import { InMemoryBanStore } from './ban-store';

describeBanStoreContract('in-memory', async () => new InMemoryBanStore());
