// Imported before any schema is built in the browser bundle. zod compiles object parsers with
// `new Function` unless told not to, and probes whether it may: under the dashboard's
// Content-Security-Policy (no 'unsafe-eval') that probe is refused and reported as a violation
// even though zod catches it. Parsing without the compiled fast path costs nothing here.
import { z } from 'zod';

z.config({ jitless: true });
