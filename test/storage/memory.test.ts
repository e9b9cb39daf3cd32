/** The in-memory store against the shared Store contract. */
import { MemoryStore } from '../../src/storage/memory.js';
import { storeContract } from './store.case.js';

storeContract('memory', () => new MemoryStore());
