// The redaction moved to src/smtp/auth.ts, next to the rest of AUTH; the serve session uses it too.
export { redactAuthLine } from '../smtp/auth.js';
