// Unary reads and check-tail through the S2 TypeScript SDK, with raw HTTP for what the SDK cannot
// express (spec sections 6.2 and 6.3).

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AppendInput, AppendRecord, RangeNotSatisfiableError } from "@s2-dev/streamstore";
import { assertErrorBody, encodeStream, freshBasin, freshStream, http, rejectsWith, useServer } from "../lib/s2.js";

const ctx = useServer();

const str = (body, extra = {}) => AppendRecord.string({ body, ...extra });
const INFINITE = { retentionPolicy: { infinite: {} } };
const seqs = (batch) => batch.records.map((r) => r.seqNum);

/** A stream with ten records r0..r9 whose timestamps are base, base+10, ..., base+90. */
async function tenRecords() {
	const s = await freshStream(ctx, INFINITE);
	const base = Date.now() - 600_000;
	const ack = await s.stream.append(
		AppendInput.create(Array.from({ length: 10 }, (_, i) => str(`r${i}`, { timestamp: base + 10 * i }))),
	);
	assert.equal(ack.end.seqNum, 10);
	return { ...s, base };
}

function rawRead(s, query, headers = {}) {
	return http(ctx, "GET", `/v1/streams/${encodeStream(s.name)}/records${query}`, { basin: s.basinName, headers });
}

async function expect416(promise, seqNum, timestamp) {
	const err = await rejectsWith(promise, 416);
	assert.ok(err instanceof RangeNotSatisfiableError, `got ${err.constructor.name}`);
	assert.equal(err.tail.seqNum, seqNum);
	if (timestamp !== undefined) assert.equal(err.tail.timestamp.getTime(), timestamp);
}

describe("read start positions and limits", () => {
	it("reads from a seq num up to a record count", async () => {
		const s = await tenRecords();
		const batch = await s.stream.read({ start: { from: { seqNum: 3 } }, stop: { limits: { count: 4 } } });
		assert.deepEqual(
			batch.records.map((r) => [r.seqNum, r.body, r.timestamp.getTime()]),
			[3, 4, 5, 6].map((i) => [i, `r${i}`, s.base + 10 * i]),
		);
	});

	it("reads up to a metered byte limit", async () => {
		const s = await freshStream(ctx);
		// 8 + 92 = 100 metered bytes per record
		await s.stream.append(AppendInput.create(Array.from({ length: 5 }, () => str("x".repeat(92)))));
		const batch = await s.stream.read({ start: { from: { seqNum: 0 } }, stop: { limits: { bytes: 250 } } });
		assert.deepEqual(seqs(batch), [0, 1]);
	});

	it("starts at the first record whose timestamp is at least the requested one", async () => {
		const s = await tenRecords();
		const batch = await s.stream.read({ start: { from: { timestamp: s.base + 15 } }, stop: { limits: { count: 3 } } });
		assert.deepEqual(seqs(batch), [2, 3, 4]);
		const exact = await s.stream.read({ start: { from: { timestamp: s.base + 50 } }, stop: { limits: { count: 1 } } });
		assert.deepEqual(seqs(exact), [5]);
	});

	it("starts tail_offset records before the tail, saturating at the first record", async () => {
		const s = await tenRecords();
		assert.deepEqual(seqs(await s.stream.read({ start: { from: { tailOffset: 3 } } })), [7, 8, 9]);
		assert.deepEqual(seqs(await s.stream.read({ start: { from: { tailOffset: 100 } }, stop: { limits: { count: 2 } } })), [0, 1]);
	});

	it("stops before the first record whose timestamp reaches until", async () => {
		const s = await tenRecords();
		const batch = await s.stream.read({ start: { from: { seqNum: 0 } }, stop: { untilTimestamp: s.base + 30 } });
		assert.deepEqual(seqs(batch), [0, 1, 2]);
	});

	it("caps a unary read at 1000 records", async () => {
		const s = await freshStream(ctx);
		await s.stream.append(AppendInput.create(Array.from({ length: 1000 }, (_, i) => str(`a${i}`))));
		await s.stream.append(AppendInput.create(Array.from({ length: 500 }, (_, i) => str(`b${i}`))));
		const uncapped = await s.stream.read({ start: { from: { seqNum: 0 } } });
		assert.equal(uncapped.records.length, 1000);
		assert.equal(uncapped.records[999].seqNum, 999);
		const raw = await rawRead(s, "?seq_num=100&count=5000");
		assert.equal(raw.status, 200, raw.text.slice(0, 300));
		assert.equal(raw.json.records.length, 1000);
		assert.equal(raw.json.records[0].seq_num, 100);
	});

	it("caps a unary read at 1 MiB of metered bytes", async () => {
		const s = await freshStream(ctx);
		const body = new Uint8Array(65536).fill(7); // 65544 metered bytes per record
		for (let i = 0; i < 2; i++) {
			await s.stream.append(AppendInput.create(Array.from({ length: 10 }, () => AppendRecord.bytes({ body }))));
		}
		const batch = await s.stream.read({ start: { from: { seqNum: 0 } } }, { as: "bytes" });
		assert.equal(batch.records.length, 15, "15 * 65544 <= 1 MiB < 16 * 65544");
		assert.deepEqual([...batch.records[14].body.slice(0, 4)], [7, 7, 7, 7]);
	});

	it("reads binary records as protobuf when reading as bytes", async () => {
		const s = await freshStream(ctx);
		const body = new Uint8Array([0xff, 0xfe, 0x00, 0x80]);
		await s.stream.append(AppendInput.create([AppendRecord.bytes({ body, headers: [[new Uint8Array([1]), new Uint8Array([2, 3])]] })]));
		const batch = await s.stream.read({ start: { from: { seqNum: 0 } } }, { as: "bytes" });
		assert.deepEqual([...batch.records[0].body], [...body]);
		assert.deepEqual(
			batch.records[0].headers.map(([n, v]) => [[...n], [...v]]),
			[[[1], [2, 3]]],
		);
	});

	it("omits empty headers and empty bodies from JSON records", async () => {
		const s = await freshStream(ctx);
		await s.stream.append(AppendInput.create([str(""), str("b", { headers: [["k", ""]] })]));
		const raw = await rawRead(s, "?seq_num=0");
		assert.equal(raw.status, 200, raw.text);
		assert.match(raw.headers.get("content-type") ?? "", /application\/json/);
		const [a, b] = raw.json.records;
		assert.equal(a.seq_num, 0);
		assert.equal(typeof a.timestamp, "number");
		assert.equal("headers" in a, false);
		assert.equal("body" in a, false);
		assert.deepEqual(b.headers, [["k", ""]]);
		assert.equal(b.body, "b");
	});
});

describe("reading at and beyond the tail", () => {
	it("starts at the tail when no start is given, which without wait is 416 with the tail", async () => {
		const s = await tenRecords();
		await expect416(s.stream.read(), 10, s.base + 90);
		const raw = await rawRead(s, "");
		assert.equal(raw.status, 416, raw.text);
		assert.deepEqual(raw.json, { tail: { seq_num: 10, timestamp: s.base + 90 } });
	});

	it("answers 416 with the tail for a start beyond the tail and for a start exactly at the tail", async () => {
		const s = await tenRecords();
		await expect416(s.stream.read({ start: { from: { seqNum: 11 } } }), 10, s.base + 90);
		await expect416(s.stream.read({ start: { from: { seqNum: 10 } } }), 10, s.base + 90);
		await expect416(s.stream.read({ start: { from: { timestamp: s.base + 91 } } }), 10);
	});

	it("answers 416 with tail 0 for a read from seq num 0 of an empty stream", async () => {
		const s = await freshStream(ctx);
		await expect416(s.stream.read({ start: { from: { seqNum: 0 } } }), 0, 0);
		const raw = await rawRead(s, "?seq_num=0");
		assert.equal(raw.status, 416);
		assert.deepEqual(raw.json, { tail: { seq_num: 0, timestamp: 0 } });
	});

	it("clamps a start beyond the tail to the tail, which without wait is still 416", async () => {
		const s = await tenRecords();
		await expect416(s.stream.read({ start: { from: { seqNum: 50 }, clamp: true } }), 10);
	});

	it("returns an empty batch when a wait at the tail elapses without new records", async () => {
		const s = await tenRecords();
		const atTail = await s.stream.read({ start: { from: { seqNum: 10 } }, stop: { waitSecs: 1 } });
		assert.deepEqual(atTail.records, []);
		const clamped = await s.stream.read({ start: { from: { seqNum: 50 }, clamp: true }, stop: { waitSecs: 1 } });
		assert.deepEqual(clamped.records, []);
		const defaultStart = await s.stream.read({ stop: { waitSecs: 1 } });
		assert.deepEqual(defaultStart.records, []);
	});

	it("long-polls with wait: a read at the tail returns the next appended record", async () => {
		const s = await tenRecords();
		const pending = s.stream.read({ start: { from: { seqNum: 10 } }, stop: { waitSecs: 30 } });
		await new Promise((r) => setTimeout(r, 500));
		await s.stream.append(AppendInput.create([str("news")]));
		const batch = await pending;
		assert.deepEqual(
			batch.records.map((r) => [r.seqNum, r.body]),
			[[10, "news"]],
		);
	});
});

describe("read validation", () => {
	it("rejects more than one start position with 422 invalid", async () => {
		const s = await tenRecords();
		assertErrorBody(await rawRead(s, "?seq_num=0&timestamp=0"), 422, "invalid");
		assertErrorBody(await rawRead(s, "?seq_num=0&tail_offset=1"), 422, "invalid");
	});

	it("rejects a timestamp start with until at or before it with 422 invalid", async () => {
		const s = await tenRecords();
		await rejectsWith(
			s.stream.read({ start: { from: { timestamp: s.base + 50 } }, stop: { untilTimestamp: s.base + 50 } }),
			422,
			"invalid",
		);
		assertErrorBody(await rawRead(s, `?timestamp=${s.base + 50}&until=${s.base + 10}`), 422, "invalid");
	});

	it("rejects unparsable query parameters with 400 bad_query", async () => {
		const s = await tenRecords();
		assertErrorBody(await rawRead(s, "?seq_num=abc"), 400, "bad_query");
		assertErrorBody(await rawRead(s, "?seq_num=0&count=-1"), 400, "bad_query");
	});

	it("returns 404 stream_not_found for reads and check-tail of a missing stream", async () => {
		const basin = await freshBasin(ctx);
		await rejectsWith(basin.stream("absent").read({ start: { from: { seqNum: 0 } } }), 404, "stream_not_found");
		await rejectsWith(basin.stream("absent").checkTail(), 404, "stream_not_found");
	});

	it("creates a missing stream on read and on check-tail when the basin has create_stream_on_read", async () => {
		const basin = await freshBasin(ctx, { createStreamOnRead: true });
		const tail = await basin.stream("made/by/tail").checkTail();
		assert.equal(tail.tail.seqNum, 0);
		assert.equal(tail.tail.timestamp.getTime(), 0);
		await expect416(basin.stream("made/by/read").read({ start: { from: { seqNum: 0 } } }), 0, 0);
		const listed = await basin.streams.list();
		assert.deepEqual(
			listed.streams.map((s) => s.name),
			["made/by/read", "made/by/tail"],
		);
	});
});

describe("check tail", () => {
	it("reports the next seq num and the last timestamp, starting at zero", async () => {
		const s = await freshStream(ctx, INFINITE);
		const empty = await http(ctx, "GET", `/v1/streams/${encodeStream(s.name)}/records/tail`, { basin: s.basinName });
		assert.equal(empty.status, 200, empty.text);
		assert.deepEqual(empty.json, { tail: { seq_num: 0, timestamp: 0 } });
		const t = Date.now() - 1000;
		await s.stream.append(AppendInput.create([str("a", { timestamp: t - 5 }), str("b", { timestamp: t })]));
		const tail = await s.stream.checkTail();
		assert.equal(tail.tail.seqNum, 2);
		assert.equal(tail.tail.timestamp.getTime(), t);
	});
});
