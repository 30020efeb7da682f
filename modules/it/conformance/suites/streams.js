// Streams through the S2 TypeScript SDK (basin endpoint, s2-basin header), with raw HTTP where
// the SDK hides the status or header the spec fixes (section 4.2).

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AppendInput, AppendRecord } from "@s2-dev/streamstore";
import {
	assertErrorBody,
	basinName,
	encodeStream,
	failedWith,
	followDeletion,
	freshBasin,
	http,
	pendingElse,
	rejectsWith,
	useServer,
} from "../lib/s2.js";

const ctx = useServer();

const opt = (v) => (v === undefined ? null : v);

const SYSTEM_DEFAULT_CONFIG = {
	storage_class: "express",
	retention_policy: { age: 604800 },
	timestamping: { mode: "client-prefer", uncapped: false },
	delete_on_empty: { min_age_secs: 0 },
};

const one = (body) => AppendInput.create([AppendRecord.string({ body })]);

describe("creating streams", () => {
	it("creates streams whose names contain slashes, spaces, percent signs and non-ASCII characters", async () => {
		const basin = await freshBasin(ctx);
		for (const name of ["a/b/c", "logs/2026/11/26 x%2Fy", "überstrom/ストリーム", "/leading/and/trailing/"]) {
			const info = await basin.streams.create({ stream: name });
			assert.equal(info.name, name);
			assert.ok(info.createdAt instanceof Date && !Number.isNaN(info.createdAt.getTime()));
			assert.equal(opt(info.deletedAt), null);
			assert.equal(opt(info.cipher), null);
			const ack = await basin.stream(name).append(one(`hello ${name}`));
			assert.equal(ack.start.seqNum, 0);
			const batch = await basin.stream(name).read({ start: { from: { seqNum: 0 } } });
			assert.deepEqual(
				batch.records.map((r) => r.body),
				[`hello ${name}`],
			);
		}
		const listed = await basin.streams.list();
		assert.deepEqual(
			listed.streams.map((s) => s.name),
			["/leading/and/trailing/", "a/b/c", "logs/2026/11/26 x%2Fy", "überstrom/ストリーム"],
		);
	});

	it("answers a create with 201 created, and a replay with the same request token and config with noop", async () => {
		const basin = await freshBasin(ctx);
		const body = { stream: "orders/eu", config: { storage_class: "standard" } };
		const headers = { "s2-request-token": "create-orders-eu-1" };
		const first = await http(ctx, "POST", "/v1/streams", { basin: basin.name, json: body, headers });
		assert.equal(first.status, 201, first.text);
		assert.equal(first.headers.get("s2-provision-result"), "created");
		assert.equal(first.json.name, "orders/eu");
		assert.ok(!Number.isNaN(Date.parse(first.json.created_at)));
		const replay = await http(ctx, "POST", "/v1/streams", { basin: basin.name, json: body, headers });
		assert.equal(replay.status, 201, replay.text);
		assert.equal(replay.headers.get("s2-provision-result"), "noop");
		assert.equal(replay.json.created_at, first.json.created_at);
		const other = await http(ctx, "POST", "/v1/streams", {
			basin: basin.name,
			json: body,
			headers: { "s2-request-token": "create-orders-eu-2" },
		});
		assertErrorBody(other, 409, "resource_already_exists");
	});

	it("rejects creating a stream that exists with 409 resource_already_exists", async () => {
		const basin = await freshBasin(ctx);
		await basin.streams.create({ stream: "dup" });
		await rejectsWith(basin.streams.create({ stream: "dup" }), 409, "resource_already_exists");
	});

	it("rejects creating a stream in a basin that does not exist with 404 basin_not_found", async () => {
		const basin = ctx.s2.basin(basinName("missing"));
		await rejectsWith(basin.streams.create({ stream: "s" }), 404, "basin_not_found");
	});

	it("rejects a retention age of 0 with 422 invalid", async () => {
		const basin = await freshBasin(ctx);
		await rejectsWith(basin.streams.create({ stream: "s", config: { retentionPolicy: { ageSecs: 0 } } }), 422, "invalid");
	});

	it("rejects the stream names '.' and '..' in the body with 400 bad_json", async () => {
		const basin = await freshBasin(ctx);
		for (const stream of [".", ".."]) {
			const res = await http(ctx, "POST", "/v1/streams", { basin: basin.name, json: { stream } });
			assertErrorBody(res, 400, "bad_json");
		}
	});

	it("rejects stream requests without an s2-basin header with 400 bad_header", async () => {
		const res = await http(ctx, "GET", "/v1/streams");
		assertErrorBody(res, 400, "bad_header");
	});
});

describe("stream config", () => {
	it("returns every field resolved from system defaults for a stream created without config", async () => {
		const basin = await freshBasin(ctx);
		await basin.streams.create({ stream: "plain" });
		const raw = await http(ctx, "GET", `/v1/streams/plain`, { basin: basin.name });
		assert.equal(raw.status, 200, raw.text);
		assert.deepEqual(raw.json, SYSTEM_DEFAULT_CONFIG);
		const config = await basin.streams.getConfig({ stream: "plain" });
		assert.equal(config.storageClass, "express");
		assert.deepEqual(config.retentionPolicy, { ageSecs: 604800 });
		assert.deepEqual(config.timestamping, { mode: "client-prefer", uncapped: false });
		assert.deepEqual(config.deleteOnEmpty, { minAgeSecs: 0 });
	});

	it("resolves unset stream fields from the basin's default stream config and keeps explicit ones", async () => {
		const basin = await freshBasin(ctx, {
			defaultStreamConfig: { storageClass: "standard", retentionPolicy: { ageSecs: 3600 }, timestamping: { mode: "arrival" } },
		});
		await basin.streams.create({ stream: "mixed", config: { retentionPolicy: { infinite: {} } } });
		const raw = await http(ctx, "GET", `/v1/streams/mixed`, { basin: basin.name });
		assert.equal(raw.status, 200, raw.text);
		assert.deepEqual(raw.json, {
			storage_class: "standard",
			retention_policy: { infinite: {} },
			timestamping: { mode: "arrival", uncapped: false },
			delete_on_empty: { min_age_secs: 0 },
		});
	});

	it("returns 404 stream_not_found for the config of a stream that does not exist", async () => {
		const basin = await freshBasin(ctx);
		await rejectsWith(basin.streams.getConfig({ stream: "nope/never" }), 404, "stream_not_found");
	});
});

describe("ensuring streams", () => {
	it("creates a missing stream, reports noop for the same config and updated for another, replacing the config", async () => {
		const basin = await freshBasin(ctx);
		const created = await basin.streams.ensure({ stream: "ens/one", config: { storageClass: "standard" } });
		assert.equal(created.result, "created");
		assert.equal(created.stream.name, "ens/one");
		const same = await basin.streams.ensure({ stream: "ens/one", config: { storageClass: "standard" } });
		assert.equal(same.result, "noop");
		const changed = await basin.streams.ensure({ stream: "ens/one", config: { retentionPolicy: { ageSecs: 60 } } });
		assert.equal(changed.result, "updated");
		const config = await basin.streams.getConfig({ stream: "ens/one" });
		assert.equal(config.storageClass, "express", "ensure replaces the config: the storage class falls back to the default");
		assert.deepEqual(config.retentionPolicy, { ageSecs: 60 });
	});

	it("answers ensure with 201 created and then 200 noop, with a bare config body or none", async () => {
		const basin = await freshBasin(ctx);
		const first = await http(ctx, "PUT", `/v1/streams/${encodeStream("put/it")}`, {
			basin: basin.name,
			json: { storage_class: "standard" },
		});
		assert.equal(first.status, 201, first.text);
		assert.equal(first.headers.get("s2-provision-result"), "created");
		assert.equal(first.json.name, "put/it");
		const again = await http(ctx, "PUT", `/v1/streams/${encodeStream("put/it")}`, {
			basin: basin.name,
			json: { storage_class: "standard" },
		});
		assert.equal(again.status, 200, again.text);
		assert.equal(again.headers.get("s2-provision-result"), "noop");
		const empty = await http(ctx, "PUT", `/v1/streams/${encodeStream("put/empty")}`, { basin: basin.name });
		assert.equal(empty.status, 201, empty.text);
		assert.equal(empty.headers.get("s2-provision-result"), "created");
		const cfg = await http(ctx, "GET", `/v1/streams/${encodeStream("put/empty")}`, { basin: basin.name });
		assert.deepEqual(cfg.json, SYSTEM_DEFAULT_CONFIG);
	});
});

describe("reconfiguring streams", () => {
	it("patches nested fields one by one, resets null fields to the basin default, and returns the resolved config", async () => {
		const basin = await freshBasin(ctx, { defaultStreamConfig: { retentionPolicy: { ageSecs: 7200 } } });
		await basin.streams.create({
			stream: "re/conf",
			config: { retentionPolicy: { ageSecs: 60 }, timestamping: { mode: "client-require", uncapped: true } },
		});
		const res = await http(ctx, "PATCH", `/v1/streams/${encodeStream("re/conf")}`, {
			basin: basin.name,
			json: { timestamping: { mode: "arrival" }, retention_policy: null },
		});
		assert.equal(res.status, 200, res.text);
		assert.deepEqual(res.json, {
			storage_class: "express",
			retention_policy: { age: 7200 },
			timestamping: { mode: "arrival", uncapped: true },
			delete_on_empty: { min_age_secs: 0 },
		});
		const viaSdk = await basin.streams.reconfigure({ stream: "re/conf", storageClass: "standard" });
		assert.equal(viaSdk.storageClass, "standard");
		assert.deepEqual(viaSdk.timestamping, { mode: "arrival", uncapped: true });
		const stored = await basin.streams.getConfig({ stream: "re/conf" });
		assert.equal(stored.storageClass, "standard");
		assert.deepEqual(stored.retentionPolicy, { ageSecs: 7200 });
	});

	it("returns 404 stream_not_found when reconfiguring a stream that does not exist", async () => {
		const basin = await freshBasin(ctx);
		await rejectsWith(basin.streams.reconfigure({ stream: "ghost", storageClass: "standard" }), 404, "stream_not_found");
	});

	it("rejects a retention age of 0 with 422 invalid", async () => {
		const basin = await freshBasin(ctx);
		await basin.streams.create({ stream: "s" });
		await rejectsWith(basin.streams.reconfigure({ stream: "s", retentionPolicy: { ageSecs: 0 } }), 422, "invalid");
	});
});

describe("listing streams", () => {
	it("lists streams sorted by name, filtered by a prefix with slashes, paged by start_after and limit with has_more", async () => {
		const basin = await freshBasin(ctx);
		for (const s of ["logs/b", "logs/a", "logs/c", "logsx", "metrics/a"]) await basin.streams.create({ stream: s });
		const all = await basin.streams.list({ prefix: "logs/" });
		assert.deepEqual(
			all.streams.map((s) => s.name),
			["logs/a", "logs/b", "logs/c"],
		);
		assert.equal(all.hasMore, false);
		const page1 = await basin.streams.list({ prefix: "logs/", limit: 2 });
		assert.deepEqual(
			page1.streams.map((s) => s.name),
			["logs/a", "logs/b"],
		);
		assert.equal(page1.hasMore, true);
		const page2 = await basin.streams.list({ prefix: "logs/", startAfter: "logs/b", limit: 2 });
		assert.deepEqual(
			page2.streams.map((s) => s.name),
			["logs/c"],
		);
		assert.equal(page2.hasMore, false);
		const everything = await basin.streams.list();
		assert.deepEqual(
			everything.streams.map((s) => s.name),
			["logs/a", "logs/b", "logs/c", "logsx", "metrics/a"],
		);
	});
});

describe("deleting streams", () => {
	it("answers delete with 202 and an empty body, and 404 stream_not_found for a stream that does not exist", async () => {
		const basin = await freshBasin(ctx);
		await basin.streams.create({ stream: "del/me" });
		const res = await http(ctx, "DELETE", `/v1/streams/${encodeStream("del/me")}`, { basin: basin.name });
		assert.equal(res.status, 202, res.text);
		assert.equal(res.bytes.length, 0);
		await rejectsWith(basin.streams.delete({ stream: "never/was" }), 404, "stream_not_found");
	});

	it("deletes asynchronously: until the deletion finishes every operation on the stream answers 409 stream_deletion_pending, then 404, and the name is reusable for an empty stream", async () => {
		const basin = await freshBasin(ctx);
		const name = "del/pending";
		await basin.streams.create({ stream: name });
		const stream = basin.stream(name);
		await stream.append(AppendInput.create([AppendRecord.string({ body: "a" }), AppendRecord.string({ body: "b" })]));

		await basin.streams.delete({ stream: name });

		const listed = await basin.streams.list({ prefix: name });
		for (const info of listed.streams) {
			assert.equal(info.name, name);
			assert.ok(info.deletedAt instanceof Date, "a stream pending deletion is listed with deleted_at");
		}
		const gone = pendingElse("stream_deletion_pending", failedWith(404, "stream_not_found"));
		const phases = await followDeletion([
			{ label: "append", call: () => stream.append(one("late")), classify: gone },
			{ label: "read", call: () => stream.read({ start: { from: { seqNum: 0 } } }), classify: gone },
			{ label: "check tail", call: () => stream.checkTail(), classify: gone },
			{ label: "get config", call: () => basin.streams.getConfig({ stream: name }), classify: gone },
			{ label: "reconfigure", call: () => basin.streams.reconfigure({ stream: name, storageClass: "standard" }), classify: gone },
			{
				label: "delete again",
				call: () => basin.streams.delete({ stream: name }),
				classify: (o) => (o.ok ? "pending" : failedWith(404, "stream_not_found")(o) ? "gone" : undefined),
			},
			{
				label: "create again",
				call: () => basin.streams.create({ stream: name }),
				classify: pendingElse("stream_deletion_pending", (o) => o.ok),
				last: true,
			},
		]);
		assert.equal(phases.at(-1), "gone");

		const tail = await stream.checkTail();
		assert.equal(tail.tail.seqNum, 0, "the recreated stream starts empty");
		await rejectsWith(stream.read({ start: { from: { seqNum: 0 } } }), 416);
		const config = await basin.streams.getConfig({ stream: name });
		assert.equal(config.storageClass, "express", "the recreated stream has a fresh config");
	});
});
