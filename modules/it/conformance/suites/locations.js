// Locations through the S2 TypeScript SDK (spec section 4.5): the locations a server offers
// (millrace.locations, here two of them from a --config file), the account's default location,
// which basins created without a location get and report, and the errors: an unknown location is
// 422 invalid (set default, basin create), a default body that is not a JSON string 400 bad_json.
// The server of this suite is its own, so that changing the default does not reach other suites.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { assertErrorBody, basinName, http, newClient, rejectsWith } from "../lib/s2.js";
import { startServer } from "../lib/server.js";

const ctx = { url: undefined, token: undefined, s2: undefined, server: undefined, configDir: undefined };

describe("locations", () => {
	before(async () => {
		ctx.configDir = mkdtempSync(join(tmpdir(), "millrace-locations-"));
		const config = join(ctx.configDir, "locations.conf");
		writeFileSync(
			config,
			'millrace.locations { available = [{ name = "local" }, { name = "vault-1", private = true }], default = "local" }\n',
		);
		ctx.server = await startServer("locations", ["--config", config]);
		ctx.url = ctx.server.url;
		ctx.token = ctx.server.token;
		ctx.s2 = newClient(ctx.url, ctx.token);
	});

	after(async () => {
		if (ctx.server) await ctx.server.stop();
		if (ctx.configDir) rmSync(ctx.configDir, { recursive: true, force: true });
	});

	it("lists the configured locations with their privacy", async () => {
		assert.deepEqual(await ctx.s2.locations.list(), [
			{ name: "local", isPrivate: false },
			{ name: "vault-1", isPrivate: true },
		]);
		const raw = await http(ctx, "GET", "/v1/locations");
		assert.equal(raw.status, 200);
		assert.deepEqual(raw.json, [
			{ name: "local", is_private: false },
			{ name: "vault-1", is_private: true },
		]);
	});

	it("gives basins created without a location the default and reports it", async () => {
		assert.deepEqual(await ctx.s2.locations.getDefault(), { name: "local", isPrivate: false });
		const first = basinName("loc");
		const created = await ctx.s2.basins.create({ basin: first });
		assert.equal(created.location, "local");

		assert.deepEqual(await ctx.s2.locations.setDefault({ location: "vault-1" }), {
			name: "vault-1",
			isPrivate: true,
		});
		assert.deepEqual(await ctx.s2.locations.getDefault(), { name: "vault-1", isPrivate: true });
		const second = basinName("loc");
		assert.equal((await ctx.s2.basins.create({ basin: second })).location, "vault-1");
		const explicit = basinName("loc");
		assert.equal((await ctx.s2.basins.create({ basin: explicit, location: "local" })).location, "local");

		const listed = await ctx.s2.basins.list({ prefix: "loc-" });
		const byName = Object.fromEntries(listed.basins.map((b) => [b.name, b.location]));
		assert.equal(byName[first], "local");
		assert.equal(byName[second], "vault-1");
		assert.equal(byName[explicit], "local");

		await ctx.s2.locations.setDefault({ location: "local" });
		assert.equal((await ctx.s2.locations.getDefault()).name, "local");
	});

	it("refuses an unknown location with 422 invalid and keeps the default", async () => {
		const err = await rejectsWith(ctx.s2.locations.setDefault({ location: "aws:us-east-1" }), 422, "invalid");
		assert.match(err.message, /unknown location/);
		assert.equal((await ctx.s2.locations.getDefault()).name, "local");
		await rejectsWith(ctx.s2.basins.create({ basin: basinName("loc"), location: "mars-1" }), 422, "invalid");
	});

	it("refuses a default body that is not a JSON string with 400 bad_json", async () => {
		for (const body of ['{"name":"local"}', "local", "7"]) {
			assertErrorBody(
				await http(ctx, "PUT", "/v1/locations/default", { body, headers: { "content-type": "application/json" } }),
				400,
				"bad_json",
			);
		}
		assertErrorBody(await http(ctx, "POST", "/v1/locations", { json: "local" }), 405, "bad_path");
	});
});
