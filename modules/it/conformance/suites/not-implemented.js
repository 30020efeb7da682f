// Access tokens and metrics are not implemented by a single-node server (like s2-lite): every such
// endpoint answers 501 not_implemented (spec sections 4.3, 4.4 and 10). Locations: locations.js.

import { describe, it } from "node:test";
import { assertErrorBody, basinName, http, rejectsWith, useServer } from "../lib/s2.js";

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

describe("metrics", () => {
	it("answers account, basin and stream metrics with 501 not_implemented", async () => {
		const basin = basinName();
		await ctx.s2.basins.create({ basin });
		await rejectsWith(ctx.s2.metrics.account({ set: "active-basins" }), 501, "not_implemented");
		await rejectsWith(ctx.s2.metrics.basin({ basin, set: "storage" }), 501, "not_implemented");
		await rejectsWith(ctx.s2.metrics.stream({ basin, stream: "a/b", set: "storage" }), 501, "not_implemented");
		assertErrorBody(await http(ctx, "GET", `/v1/metrics/${basin}/${encodeURIComponent("a/b")}?set=storage`), 501, "not_implemented");
	});
});
