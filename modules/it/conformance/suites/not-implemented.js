// Metrics are not implemented yet (like s2-lite): every such endpoint answers 501 not_implemented
// (spec sections 4.4 and 10). Access tokens: suites/access-tokens.js; locations: locations.js.

import { describe, it } from "node:test";
import { assertErrorBody, basinName, http, rejectsWith, useServer } from "../lib/s2.js";

const ctx = useServer();

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
