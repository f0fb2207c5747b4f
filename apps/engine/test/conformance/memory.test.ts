// The memory adapter against every conformance suite (see all.ts).
import { allConformance } from './all.js';

allConformance('memory');
