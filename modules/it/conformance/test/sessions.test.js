// Streaming sessions (S2S and SSE) through the S2 TypeScript SDK, in their own server process.

import "../suites/sessions.js";
