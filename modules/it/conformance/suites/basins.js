// Basins through the S2 TypeScript SDK (account endpoint), with raw HTTP where the SDK hides the
// status or header the spec fixes (section 4.1).

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AppendInput, AppendRecord } from "@s2-dev/streamstore";
import { assertErrorBody, basinName, failedWith, followDeletion, http, pendingElse, rejectsWith, useServer } from "../lib/s2.js";

const ctx = useServer();

/** Absent and null mean the same thing for optional config fields. */
const opt = (v) => (v === undefined ? null : v);

describe("creating basins", () => {
	it("creates a basin and returns its name, creation time and no deletion time", async () => {
		const name = basinName();
		const before = Date.now();
		const info = await ctx.s2.basins.create({ basin: name });
		assert.equal(info.name, name);
		assert.ok(info.createdAt instanceof Date && !Number.isNaN(info.createdAt.getTime()));
		assert.ok(info.createdAt.getTime() >= before - 60_000 && info.createdAt.getTime() <= Date.now() + 60_000);
		assert.equal(opt(info.deletedAt), null);
	});

	it("answers a create with 201 and s2-provision-result created, and a replay with the same request token and config with noop", async () => {
		const name = basinName();
		const body = { basin: name, config: { create_stream_on_append: true } };
		const headers = { "s2-request-token": `tok-${name}` };
		const first = await http(ctx, "POST", "/v1/basins", { json: body, headers });
		assert.equal(first.status, 201, first.text);
		assert.equal(first.headers.get("s2-provision-result"), "created");
		assert.match(first.headers.get("content-type") ?? "", /application\/json/);
		assert.equal(first.json.name, name);
		assert.equal(typeof first.json.created_at, "string");
		assert.ok(!Number.isNaN(Date.parse(first.json.created_at)), `created_at is RFC 3339: ${first.json.created_at}`);
		assert.equal(opt(first.json.deleted_at), null);

		const replay = await http(ctx, "POST", "/v1/basins", { json: body, headers });
		assert.equal(replay.status, 201, replay.text);
		assert.equal(replay.headers.get("s2-provision-result"), "noop");
		assert.equal(replay.json.name, name);
		assert.equal(replay.json.created_at, first.json.created_at);
	});

	it("rejects a second create of the same name with another request token with 409 resource_already_exists", async () => {
		const name = basinName();
		await ctx.s2.basins.create({ basin: name });
		await rejectsWith(ctx.s2.basins.create({ basin: name }), 409, "resource_already_exists");
	});

	it("rejects a replayed request token whose config differs with 409 resource_already_exists", async () => {
		const name = basinName();
		const headers = { "s2-request-token": `tok-${name}` };
		const first = await http(ctx, "POST", "/v1/basins", { json: { basin: name }, headers });
		assert.equal(first.status, 201, first.text);
		const other = await http(ctx, "POST", "/v1/basins", {
			json: { basin: name, config: { create_stream_on_read: true } },
			headers,
		});
		assertErrorBody(other, 409, "resource_already_exists");
	});

	it("rejects a default retention age of 0 with 422 invalid", async () => {
		await rejectsWith(
			ctx.s2.basins.create({ basin: basinName(), config: { defaultStreamConfig: { retentionPolicy: { ageSecs: 0 } } } }),
			422,
			"invalid",
		);
	});

	it("rejects an invalid basin name in the body with 400 bad_json", async () => {
		const res = await http(ctx, "POST", "/v1/basins", { json: { basin: "Not_A-Valid-Name" } });
		assertErrorBody(res, 400, "bad_json");
	});

	it("rejects a request token longer than 36 bytes with 400 bad_header", async () => {
		const res = await http(ctx, "POST", "/v1/basins", {
			json: { basin: basinName() },
			headers: { "s2-request-token": "x".repeat(37) },
		});
		assertErrorBody(res, 400, "bad_header");
	});
});

describe("listing basins", () => {
	it("lists basins sorted by name, filtered by prefix, paged by start_after and limit with has_more", async () => {
		const prefix = basinName("lst");
		const names = [`${prefix}-c`, `${prefix}-a`, `${prefix}-b`];
		for (const n of names) await ctx.s2.basins.create({ basin: n });
		const sorted = [...names].sort();

		const all = await ctx.s2.basins.list({ prefix });
		assert.deepEqual(
			all.basins.map((b) => b.name),
			sorted,
		);
		assert.equal(all.hasMore, false);

		const page1 = await ctx.s2.basins.list({ prefix, limit: 2 });
		assert.deepEqual(
			page1.basins.map((b) => b.name),
			sorted.slice(0, 2),
		);
		assert.equal(page1.hasMore, true);

		const page2 = await ctx.s2.basins.list({ prefix, startAfter: sorted[1], limit: 2 });
		assert.deepEqual(
			page2.basins.map((b) => b.name),
			sorted.slice(2),
		);
		assert.equal(page2.hasMore, false);
	});

	it("coerces a list limit of 0 to the maximum instead of failing", async () => {
		const prefix = basinName("lim");
		await ctx.s2.basins.create({ basin: `${prefix}-a` });
		const res = await http(ctx, "GET", `/v1/basins?prefix=${prefix}&limit=0`);
		assert.equal(res.status, 200, res.text);
		assert.deepEqual(
			res.json.basins.map((b) => b.name),
			[`${prefix}-a`],
		);
		assert.equal(res.json.has_more, false);
	});

	it("rejects an invalid list prefix with 400 bad_query", async () => {
		const res = await http(ctx, "GET", "/v1/basins?prefix=UPPER");
		assertErrorBody(res, 400, "bad_query");
	});
});

describe("basin config", () => {
	it("returns the stored config, with unset default stream fields as null", async () => {
		const name = basinName();
		await ctx.s2.basins.create({
			basin: name,
			config: { createStreamOnAppend: true, defaultStreamConfig: { storageClass: "standard" } },
		});
		const config = await ctx.s2.basins.getConfig({ basin: name });
		assert.equal(config.createStreamOnAppend, true);
		assert.equal(config.createStreamOnRead, false);
		assert.equal(config.defaultStreamConfig.storageClass, "standard");
		assert.equal(opt(config.defaultStreamConfig.retentionPolicy), null);
		assert.equal(opt(config.defaultStreamConfig.timestamping), null);
		assert.equal(opt(config.streamCipher), null);

		const raw = await http(ctx, "GET", `/v1/basins/${name}`);
		assert.equal(raw.status, 200);
		assert.match(raw.headers.get("content-type") ?? "", /application\/json/);
		assert.equal(raw.json.create_stream_on_append, true);
		assert.equal(raw.json.create_stream_on_read, false);
		assert.equal(raw.json.default_stream_config.storage_class, "standard");
	});

	it("returns 404 basin_not_found for the config of a basin that does not exist", async () => {
		await rejectsWith(ctx.s2.basins.getConfig({ basin: basinName("missing") }), 404, "basin_not_found");
	});

	it("rejects an invalid basin name in the path with 400 bad_path", async () => {
		const res = await http(ctx, "GET", "/v1/basins/Bad_Name_Here");
		assertErrorBody(res, 400, "bad_path");
	});
});

describe("ensuring basins", () => {
	it("creates a missing basin with result created, then reports noop for the same config and updated for another", async () => {
		const name = basinName();
		const created = await ctx.s2.basins.ensure({ basin: name, config: { createStreamOnAppend: true } });
		assert.equal(created.result, "created");
		assert.equal(created.basin.name, name);

		const same = await ctx.s2.basins.ensure({ basin: name, config: { createStreamOnAppend: true } });
		assert.equal(same.result, "noop");

		const changed = await ctx.s2.basins.ensure({ basin: name, config: { createStreamOnRead: true } });
		assert.equal(changed.result, "updated");
		// Ensure sets exactly the given config: create_stream_on_append falls back to its default.
		const config = await ctx.s2.basins.getConfig({ basin: name });
		assert.equal(config.createStreamOnRead, true);
		assert.equal(config.createStreamOnAppend, false);
	});

	it("answers ensure with 201 created for a new basin and 200 noop for an unchanged one, also with an empty body", async () => {
		const name = basinName();
		const first = await http(ctx, "PUT", `/v1/basins/${name}`);
		assert.equal(first.status, 201, first.text);
		assert.equal(first.headers.get("s2-provision-result"), "created");
		assert.equal(first.json.name, name);
		const second = await http(ctx, "PUT", `/v1/basins/${name}`);
		assert.equal(second.status, 200, second.text);
		assert.equal(second.headers.get("s2-provision-result"), "noop");
		assert.equal(second.json.name, name);
	});
});

describe("reconfiguring basins", () => {
	it("changes only the fields present, resets fields given as null, and returns the new config", async () => {
		const name = basinName();
		await ctx.s2.basins.create({
			basin: name,
			config: { createStreamOnAppend: true, defaultStreamConfig: { storageClass: "standard", retentionPolicy: { ageSecs: 3600 } } },
		});
		const res = await http(ctx, "PATCH", `/v1/basins/${name}`, {
			json: { create_stream_on_read: true, default_stream_config: { storage_class: null } },
		});
		assert.equal(res.status, 200, res.text);
		assert.equal(res.json.create_stream_on_read, true);
		assert.equal(res.json.create_stream_on_append, true);
		assert.equal(opt(res.json.default_stream_config.storage_class), null);
		assert.deepEqual(res.json.default_stream_config.retention_policy, { age: 3600 });

		const viaSdk = await ctx.s2.basins.reconfigure({ basin: name, createStreamOnAppend: false });
		assert.equal(viaSdk.createStreamOnAppend, false);
		assert.equal(viaSdk.createStreamOnRead, true);
		assert.deepEqual(viaSdk.defaultStreamConfig.retentionPolicy, { ageSecs: 3600 });
		const stored = await ctx.s2.basins.getConfig({ basin: name });
		assert.equal(stored.createStreamOnAppend, false);
		assert.equal(stored.createStreamOnRead, true);
	});

	it("returns 404 basin_not_found when reconfiguring a basin that does not exist", async () => {
		await rejectsWith(
			ctx.s2.basins.reconfigure({ basin: basinName("missing"), createStreamOnRead: true }),
			404,
			"basin_not_found",
		);
	});

	it("rejects a default retention age of 0 with 422 invalid", async () => {
		const name = basinName();
		await ctx.s2.basins.create({ basin: name });
		await rejectsWith(
			ctx.s2.basins.reconfigure({ basin: name, defaultStreamConfig: { retentionPolicy: { ageSecs: 0 } } }),
			422,
			"invalid",
		);
	});

	it("rejects a body that is not JSON with 400 bad_json", async () => {
		const name = basinName();
		await ctx.s2.basins.create({ basin: name });
		const res = await http(ctx, "PATCH", `/v1/basins/${name}`, {
			body: "{not json",
			headers: { "content-type": "application/json" },
		});
		assertErrorBody(res, 400, "bad_json");
	});
});

describe("deleting basins", () => {
	it("answers delete with 202 and an empty body, and 404 basin_not_found for a basin that does not exist", async () => {
		const name = basinName();
		await ctx.s2.basins.create({ basin: name });
		const res = await http(ctx, "DELETE", `/v1/basins/${name}`);
		assert.equal(res.status, 202, res.text);
		assert.equal(res.bytes.length, 0);
		await rejectsWith(ctx.s2.basins.delete({ basin: basinName("missing") }), 404, "basin_not_found");
	});

	it("deletes asynchronously: until the deletion finishes the basin answers 409 basin_deletion_pending, then 404, and the name is free again without the old streams", async () => {
		const name = basinName();
		await ctx.s2.basins.create({ basin: name });
		const basin = ctx.s2.basin(name);
		await basin.streams.create({ stream: "to/be/erased" });
		await basin.stream("to/be/erased").append(AppendInput.create([AppendRecord.string({ body: "x" })]));

		await ctx.s2.basins.delete({ basin: name });

		const listed = await ctx.s2.basins.list({ prefix: name });
		for (const info of listed.basins) {
			assert.equal(info.name, name);
			assert.ok(info.deletedAt instanceof Date, "a basin pending deletion is listed with deleted_at");
		}
		const gone = pendingElse("basin_deletion_pending", failedWith(404, "basin_not_found"));
		const phases = await followDeletion([
			{ label: "reconfigure", call: () => ctx.s2.basins.reconfigure({ basin: name, createStreamOnRead: true }), classify: gone },
			{ label: "create a stream in it", call: () => basin.streams.create({ stream: "another" }), classify: gone },
			{
				label: "delete again",
				call: () => ctx.s2.basins.delete({ basin: name }),
				classify: (o) => (o.ok ? "pending" : failedWith(404, "basin_not_found")(o) ? "gone" : undefined),
			},
			{
				label: "create again",
				call: () => ctx.s2.basins.create({ basin: name }),
				classify: pendingElse("basin_deletion_pending", (o) => o.ok),
				last: true,
			},
		]);
		assert.equal(phases.at(-1), "gone");

		const streams = await ctx.s2.basin(name).streams.list();
		assert.deepEqual(streams.streams, [], "a recreated basin starts without the old streams");
		await rejectsWith(ctx.s2.basin(name).stream("to/be/erased").checkTail(), 404, "stream_not_found");
	});
});
