import { observability } from './observability-suite.js';
import { conformance } from './suite.js';

conformance('redis');
observability('redis');
