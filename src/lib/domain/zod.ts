/**
 * The studio's one import of zod. Its fast object parser compiles code with `new Function`; under the
 * studio's CSP (no 'unsafe-eval', src/lib/config/csp.ts) zod's probe for that is refused and reported
 * as a `securitypolicyviolation` even though zod catches it. `jitless` skips the probe and the compiler.
 * Every schema module imports zod from here, so the setting runs before any schema is built or parsed,
 * in the page and in every worker.
 */
import { z } from 'zod';

z.config({ jitless: true });

export { z };
