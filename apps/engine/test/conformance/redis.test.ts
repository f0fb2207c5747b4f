import { conformance } from './suite.js';

conformance('redis');
