// Access tokens and locations are not implemented yet: every such endpoint answers 501
// not_implemented (spec sections 4.3, 4.5 and 10). Metrics are served: suites/metrics.js.

import { describe, it } from "node:test";
import { assertErrorBody, http, rejectsWith, useServer } from "../lib/s2.js";

const ctx = useServer();

describe("access tokens", () => {
	it("answers list, issue and revoke with 501 not_implemented", async () => {
		await rejectsWith(ctx.s2.accessTokens.list(), 501, "not_implemented");
		await rejectsWith(
			ctx.s2.accessTokens.issue({ id: "ci-token", scope: { opGroups: { stream: { read: true, write: false } } } }),
			501,
			"not_implemented",
		);
		await rejectsWith(ctx.s2.accessTokens.revoke({ id: "ci-token" }), 501, "not_implemented");
	});
});

describe("locations", () => {
	it("answers list, get default and set default with 501 not_implemented", async () => {
		await rejectsWith(ctx.s2.locations.list(), 501, "not_implemented");
		await rejectsWith(ctx.s2.locations.getDefault(), 501, "not_implemented");
		await rejectsWith(ctx.s2.locations.setDefault({ location: "aws:us-east-1" }), 501, "not_implemented");
		assertErrorBody(await http(ctx, "GET", "/v1/locations"), 501, "not_implemented");
	});
});
