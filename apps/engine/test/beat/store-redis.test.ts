import { storeConformance } from './store-suite.js';

storeConformance('redis');
