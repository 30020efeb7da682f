// The S2 TypeScript SDK conformance suite: one Millrace server (started from the built jar) for
// all suites in this process, each suite using its own fresh basins.

import "../suites/environment.js";
import "../suites/basins.js";
import "../suites/streams.js";
import "../suites/append.js";
import "../suites/read.js";
import "../suites/access-tokens.js";
import "../suites/encryption.js";
import "../suites/locations.js";
import "../suites/not-implemented.js";
import "../suites/lifecycle.js";
