// The metrics API (spec section 4.4) through the official SDK: account, basin and stream metric
// sets with every interval, the counts and stored bytes a user's own operations produce, and the
// documented refusals (422 invalid for bad sets, ranges and intervals; 404 for unknown basins and
// streams; 400 for a missing set or a bad basin name).

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AppendInput, AppendRecord } from "@s2-dev/streamstore";
import { assertErrorBody, basinName, encodeStream, eventually, http, rejectsWith, useServer } from "../lib/s2.js";

// Metering is flushed every 10 s and storage sampled every 60 s by default; the server of this
// process is started after every suite is loaded, so these shorter intervals apply to it.
process.env.MILLRACE_METERING_FLUSH_INTERVAL ??= "500ms";
process.env.MILLRACE_STORAGE_SAMPLE_INTERVAL ??= "1s";

const ctx = useServer();
const hour = 3600_000;
const lastHour = () => ({ start: Date.now() - hour, end: Date.now() });

/** The sum of every point of the accumulation or gauge named `name` in an SDK metrics response. */
function total(resp, name) {
	let sum = 0;
	for (const m of resp.values) {
		const series = m.accumulation ?? m.gauge;
		if (series?.name === name) for (const [, v] of series.values) sum += v;
	}
	return sum;
}

async function meteredStream() {
	const name = basinName("metrics");
	await ctx.s2.basins.create({ basin: name });
	const basin = ctx.s2.basin(name);
	await basin.streams.create({ stream: "events/main" });
	const stream = basin.stream("events/main");
	await stream.append(AppendInput.create([AppendRecord.string({ body: "abcd" }), AppendRecord.string({ body: "abcd" })]));
	await stream.append(AppendInput.create([AppendRecord.string({ body: "xy" })]));
	await stream.read({ start: { from: { seqNum: 0 } } });
	return { name, stream };
}

describe("metrics", () => {
	it("counts a basin's appends, appended and read bytes, reads and stream operations", async () => {
		const { name } = await meteredStream();
		const appendOps = await eventually("two append ops", async () => {
			const r = await ctx.s2.metrics.basin({ basin: name, set: "append-ops", ...lastHour() });
			return total(r, "express") + total(r, "standard") === 2 ? r : undefined;
		});
		assert.deepEqual(
			appendOps.values.map((m) => [m.accumulation.name, m.accumulation.unit, m.accumulation.interval]),
			[
				["standard", "operations", "minute"],
				["express", "operations", "minute"],
			],
		);
		for (const [, value] of appendOps.values.flatMap((m) => m.accumulation.values)) assert.ok(value > 0);
		assert.ok(appendOps.values[1].accumulation.values[0][0] instanceof Date);

		await eventually("34 appended bytes", async () => {
			const r = await ctx.s2.metrics.basin({ basin: name, set: "append-throughput", ...lastHour(), interval: "hour" });
			return total(r, "express") + total(r, "standard") === 34;
		});
		await eventually("one unary read", async () => {
			const r = await ctx.s2.metrics.basin({ basin: name, set: "read-ops", ...lastHour() });
			return total(r, "unary") === 1;
		});
		await eventually("34 read bytes", async () => {
			const r = await ctx.s2.metrics.basin({ basin: name, set: "read-throughput", start: Date.now() - 24 * hour, end: Date.now(), interval: "day" });
			return total(r, "read_throughput") === 34;
		});
		await eventually("one stream created", async () => {
			const r = await ctx.s2.metrics.basin({ basin: name, set: "basin-ops", ...lastHour() });
			return total(r, "create_stream") === 1;
		});
	});

	for (const transport of ["s2s", "fetch"]) {
		it(`counts an append session's batches and a read session as one streaming read (${transport})`, async () => {
			const name = basinName("metrics");
			await ctx.s2.basins.create({ basin: name });
			const basin = ctx.s2.basin(name);
			await basin.streams.create({ stream: "s" });
			const stream = basin.stream("s", { forceTransport: transport });
			const session = await stream.appendSession();
			const tickets = [];
			for (let i = 0; i < 3; i++) tickets.push(await session.submit(AppendInput.create([AppendRecord.string({ body: "abcd" })])));
			await Promise.all(tickets.map((t) => t.ack()));
			await session.close();
			const rs = await stream.readSession({ start: { from: { seqNum: 0 } }, stop: { limits: { count: 3 } } });
			let read = 0;
			for await (const r of rs) {
				assert.equal(r.body, "abcd");
				if (++read >= 3) break;
			}
			await eventually("three append ops, one streaming read and 36 read bytes", async () => {
				const ops = await ctx.s2.metrics.basin({ basin: name, set: "append-ops", ...lastHour() });
				const reads = await ctx.s2.metrics.basin({ basin: name, set: "read-ops", ...lastHour() });
				const bytes = await ctx.s2.metrics.basin({ basin: name, set: "read-throughput", ...lastHour() });
				return (
					total(ops, "express") + total(ops, "standard") === 3 &&
					total(reads, "streaming") === 1 &&
					total(reads, "unary") === 0 &&
					total(bytes, "read_throughput") === 36
				);
			});
		});
	}

	it("lists the basin as active and counts account operations at every interval", async () => {
		const { name } = await meteredStream();
		await eventually("the basin among the active basins", async () => {
			const r = await ctx.s2.metrics.account({ set: "active-basins", ...lastHour() });
			assert.equal(r.values.length, 1);
			assert.equal(r.values[0].label.name, "active_basins");
			return r.values[0].label.values.includes(name);
		});
		for (const interval of ["minute", "hour", "day"]) {
			const range = interval === "day" ? { start: Date.now() - 7 * 24 * hour, end: Date.now() } : lastHour();
			const r = await eventually(`create_basin counted (${interval})`, async () => {
				const resp = await ctx.s2.metrics.account({ set: "account-ops", ...range, interval });
				return total(resp, "create_basin") >= 1 ? resp : undefined;
			});
			assert.ok(r.values.every((m) => m.accumulation.interval === interval && m.accumulation.unit === "operations"));
		}
		const empty = await ctx.s2.metrics.account({ set: "active-basins", start: 0, end: hour });
		assert.deepEqual(empty.values, [{ label: { name: "active_basins", values: [] } }]);
	});

	it("reports a stream's and its basin's stored bytes once its records are in a segment", async () => {
		const { name } = await meteredStream();
		const stream = await eventually(
			"the stream's stored bytes",
			async () => {
				const r = await ctx.s2.metrics.stream({ basin: name, stream: "events/main", set: "storage", ...lastHour() });
				assert.equal(r.values[0].gauge.name, "storage");
				assert.equal(r.values[0].gauge.unit, "bytes");
				const points = r.values[0].gauge.values;
				return points.length > 0 && points[points.length - 1][1] > 0 ? points[points.length - 1][1] : undefined;
			},
			120_000,
		);
		assert.ok(stream >= 34, `stored ${stream} bytes`);
		await eventually("the basin's stored bytes", async () => {
			const r = await ctx.s2.metrics.basin({ basin: name, set: "storage", start: Date.now() - 24 * hour, end: Date.now(), interval: "hour" });
			const points = r.values[0].gauge.values;
			return points.length > 0 && points[points.length - 1][1] === stream;
		});
		const minute = await ctx.s2.metrics.stream({ basin: name, stream: "events/main", set: "storage", ...lastHour(), interval: "minute" });
		assert.ok(minute.values[0].gauge.values.length >= 1);
	});

	it("refuses bad ranges, sets and intervals with 422 invalid", async () => {
		const basin = basinName();
		await ctx.s2.basins.create({ basin });
		const now = Date.now();
		for (const range of [
			{ start: now, end: now - hour },
			{ start: now - hour, end: now + 10 * 60_000 },
			{ start: now - 40 * 24 * hour, end: now },
		]) {
			await rejectsWith(ctx.s2.metrics.account({ set: "active-basins", ...range }), 422, "invalid");
			await rejectsWith(ctx.s2.metrics.basin({ basin, set: "storage", ...range }), 422, "invalid");
			await rejectsWith(ctx.s2.metrics.stream({ basin, stream: "s", set: "storage", ...range }), 422, "invalid");
		}
		await rejectsWith(ctx.s2.metrics.basin({ basin, set: "storage", ...lastHour(), interval: "minute" }), 422, "invalid");
		await rejectsWith(ctx.s2.metrics.stream({ basin, stream: "s", set: "storage", ...lastHour(), interval: "hour" }), 422, "invalid");
		await rejectsWith(ctx.s2.metrics.account({ set: "invalid-set", ...lastHour() }), 422, "invalid");
		assertErrorBody(await http(ctx, "GET", `/v1/metrics/${basin}?set=active-basins`), 422, "invalid");
		assertErrorBody(await http(ctx, "GET", "/v1/metrics?set=account-ops&interval=week"), 422, "invalid");
	});

	it("answers 404 for unknown basins and streams and 400 for a missing set or a bad name", async () => {
		const basin = basinName();
		await ctx.s2.basins.create({ basin });
		await rejectsWith(ctx.s2.metrics.basin({ basin: basinName(), set: "append-ops", ...lastHour() }), 404, "basin_not_found");
		await rejectsWith(ctx.s2.metrics.stream({ basin: basinName(), stream: "a/b", set: "storage", ...lastHour() }), 404, "basin_not_found");
		await rejectsWith(ctx.s2.metrics.stream({ basin, stream: "a/b", set: "storage", ...lastHour() }), 404, "stream_not_found");
		assertErrorBody(await http(ctx, "GET", `/v1/metrics/${basin}/${encodeStream("a/b")}?set=storage`), 404, "stream_not_found");
		assertErrorBody(await http(ctx, "GET", "/v1/metrics"), 400, "bad_query");
		assertErrorBody(await http(ctx, "GET", "/v1/metrics?set=account-ops&start=yesterday"), 400, "bad_query");
		assertErrorBody(await http(ctx, "GET", "/v1/metrics/Not_A_Basin?set=storage"), 400, "bad_path");
	});

	it("uses the last hour when start and end are not given", async () => {
		const r = await ctx.s2.metrics.account({ set: "account-ops" });
		assert.ok(r.values.length > 0);
		const basin = basinName();
		await ctx.s2.basins.create({ basin });
		const s = await ctx.s2.metrics.basin({ basin, set: "storage" });
		assert.equal(s.values[0].gauge.name, "storage");
	});
});
