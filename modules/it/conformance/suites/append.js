// Unary appends through the S2 TypeScript SDK (JSON for string records, protobuf as soon as a
// record is bytes), and raw HTTP for the statuses the SDK validates away (spec sections 5 and 6.1).

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
	AppendInput,
	AppendRecord,
	FencingTokenMismatchError,
	SeqNumMismatchError,
} from "@s2-dev/streamstore";
import {
	assertErrorBody,
	encodeStream,
	eventually,
	freshBasin,
	freshStream,
	http,
	rejectsWith,
	useServer,
} from "../lib/s2.js";

const ctx = useServer();

const str = (body, extra = {}) => AppendRecord.string({ body, ...extra });
const input = (records, options) => AppendInput.create(records, options);
const INFINITE = { retentionPolicy: { infinite: {} } };

/** Raw JSON append; returns the http() answer. */
function rawAppend(s, body, headers = {}) {
	return http(ctx, "POST", `/v1/streams/${encodeStream(s.name)}/records`, { basin: s.basinName, json: body, headers });
}

async function readAll(stream, as = "string") {
	return (await stream.read({ start: { from: { seqNum: 0 } } }, { as })).records;
}

describe("appending records", () => {
	it("appends string records as JSON and acknowledges the assigned range and the new tail", async () => {
		const s = await freshStream(ctx);
		const ack = await s.stream.append(
			input([str("first", { headers: [["kind", "greeting"]] }), str("zweite ✓"), str("")]),
		);
		assert.equal(ack.start.seqNum, 0);
		assert.equal(ack.end.seqNum, 3);
		assert.equal(ack.tail.seqNum, 3);
		assert.equal(ack.end.timestamp.getTime(), ack.tail.timestamp.getTime());
		const records = await readAll(s.stream);
		assert.deepEqual(
			records.map((r) => [r.seqNum, r.body, r.headers]),
			[
				[0, "first", [["kind", "greeting"]]],
				[1, "zweite ✓", []],
				[2, "", []],
			],
		);
		assert.equal(records[0].timestamp.getTime(), ack.start.timestamp.getTime());
		assert.equal(records[2].timestamp.getTime(), ack.end.timestamp.getTime());

		const next = await s.stream.append(input([str("fourth")]));
		assert.equal(next.start.seqNum, 3);
		assert.equal(next.end.seqNum, 4);
	});

	it("answers a raw JSON append with 200 and an AppendAck of start, end and tail positions", async () => {
		const s = await freshStream(ctx);
		const res = await rawAppend(s, { records: [{ body: "a" }, { body: "b", headers: [["h", "v"]] }] });
		assert.equal(res.status, 200, res.text);
		assert.match(res.headers.get("content-type") ?? "", /application\/json/);
		assert.equal(res.json.start.seq_num, 0);
		assert.equal(res.json.end.seq_num, 2);
		assert.equal(res.json.tail.seq_num, 2);
		for (const k of ["start", "end", "tail"]) assert.equal(typeof res.json[k].timestamp, "number");
	});

	it("appends binary records through the protobuf path and reads them back byte for byte", async () => {
		const s = await freshStream(ctx);
		const body = new Uint8Array([0, 255, 254, 10, 13, 0xc3, 0x28, 0x80]);
		const hName = new Uint8Array([0xff, 0x00, 0x41]);
		const hValue = new Uint8Array([0xde, 0xad, 0xbe, 0xef]);
		const ack = await s.stream.append(
			input([AppendRecord.bytes({ body, headers: [[hName, hValue]] }), AppendRecord.bytes({ body: new Uint8Array() }), str("text too")]),
		);
		assert.equal(ack.start.seqNum, 0);
		assert.equal(ack.end.seqNum, 3);
		const records = await readAll(s.stream, "bytes");
		assert.equal(records.length, 3);
		assert.deepEqual([...records[0].body], [...body]);
		assert.equal(records[0].headers.length, 1);
		assert.deepEqual([...records[0].headers[0][0]], [...hName]);
		assert.deepEqual([...records[0].headers[0][1]], [...hValue]);
		assert.equal(records[1].body.length, 0);
		assert.deepEqual(new TextDecoder().decode(records[2].body), "text too");
	});

	it("returns 404 stream_not_found for a missing stream and 404 basin_not_found for a missing basin", async () => {
		const basin = await freshBasin(ctx);
		await rejectsWith(basin.stream("not/there").append(input([str("x")])), 404, "stream_not_found");
		const noBasin = ctx.s2.basin(`${basin.name}-gone`);
		await rejectsWith(noBasin.stream("s").append(input([str("x")])), 404, "basin_not_found");
	});

	it("creates a missing stream on append when the basin has create_stream_on_append, with the basin's defaults", async () => {
		const basin = await freshBasin(ctx, { createStreamOnAppend: true, defaultStreamConfig: { storageClass: "standard" } });
		const ack = await basin.stream("auto/created").append(input([str("hello")]));
		assert.equal(ack.start.seqNum, 0);
		assert.equal(ack.end.seqNum, 1);
		const config = await basin.streams.getConfig({ stream: "auto/created" });
		assert.equal(config.storageClass, "standard");
		assert.deepEqual(config.retentionPolicy, { ageSecs: 604800 });
		const listed = await basin.streams.list();
		assert.deepEqual(
			listed.streams.map((x) => x.name),
			["auto/created"],
		);
	});
});

describe("conditional appends", () => {
	it("accepts a matching match_seq_num and rejects a stale one with 412 and the expected seq num", async () => {
		const s = await freshStream(ctx);
		await s.stream.append(input([str("a"), str("b")], { matchSeqNum: 0 }));
		const err = await rejectsWith(s.stream.append(input([str("c")], { matchSeqNum: 0 })), 412);
		assert.ok(err instanceof SeqNumMismatchError, `got ${err.constructor.name}`);
		assert.equal(err.expectedSeqNum, 2);
		const ok = await s.stream.append(input([str("c")], { matchSeqNum: 2 }));
		assert.equal(ok.start.seqNum, 2);

		const raw = await rawAppend(s, { records: [{ body: "d" }], match_seq_num: 7 });
		assert.equal(raw.status, 412, raw.text);
		assert.match(raw.headers.get("content-type") ?? "", /application\/json/);
		assert.deepEqual(raw.json, { seq_num_mismatch: 3 });
		assert.equal((await s.stream.checkTail()).tail.seqNum, 3, "a rejected append leaves the stream unchanged");
	});

	it("starts with an empty fencing token, replaces it with fence records, and rejects other tokens with 412 and the current token", async () => {
		const s = await freshStream(ctx);
		await s.stream.append(input([str("unfenced")], { fencingToken: "" }));
		const first = await rejectsWith(s.stream.append(input([str("x")], { fencingToken: "someone" })), 412);
		assert.ok(first instanceof FencingTokenMismatchError, `got ${first.constructor.name}`);
		assert.equal(first.expectedFencingToken, "");

		await s.stream.append(input([AppendRecord.fence("writer-1")]));
		const err = await rejectsWith(s.stream.append(input([str("x")], { fencingToken: "writer-0" })), 412);
		assert.ok(err instanceof FencingTokenMismatchError);
		assert.equal(err.expectedFencingToken, "writer-1");
		const raw = await rawAppend(s, { records: [{ body: "x" }], fencing_token: "intruder" });
		assert.equal(raw.status, 412, raw.text);
		assert.deepEqual(raw.json, { fencing_token_mismatch: "writer-1" });

		const ok = await s.stream.append(input([str("fenced")], { fencingToken: "writer-1" }));
		assert.equal(ok.start.seqNum, 2);
	});

	it("checks the fencing token before match_seq_num", async () => {
		const s = await freshStream(ctx);
		await s.stream.append(input([AppendRecord.fence("t1")]));
		const raw = await rawAppend(s, { records: [{ body: "x" }], fencing_token: "bad", match_seq_num: 99 });
		assert.equal(raw.status, 412, raw.text);
		assert.deepEqual(raw.json, { fencing_token_mismatch: "t1" });
	});

	it("applies a fence inside a batch to later batches, not to the token check of its own batch", async () => {
		const s = await freshStream(ctx);
		await s.stream.append(input([AppendRecord.fence("old")]));
		const ack = await s.stream.append(input([AppendRecord.fence("new"), str("after fence")], { fencingToken: "old" }));
		assert.equal(ack.end.seqNum, 3);
		const err = await rejectsWith(s.stream.append(input([str("x")], { fencingToken: "old" })), 412);
		assert.equal(err.expectedFencingToken, "new");
		await s.stream.append(input([str("y")], { fencingToken: "new" }));
	});

	it("rejects a fencing token longer than 36 bytes with 422 invalid", async () => {
		const s = await freshStream(ctx);
		const res = await rawAppend(s, { records: [{ body: "x" }], fencing_token: "t".repeat(37) });
		assertErrorBody(res, 422, "invalid");
	});
});

describe("command records", () => {
	it("stores fence records as ordinary records that read back with an empty-named fence header and the token as body", async () => {
		const s = await freshStream(ctx);
		await s.stream.append(input([AppendRecord.fence("tok-A"), AppendRecord.fence("")]));
		const records = await readAll(s.stream);
		assert.deepEqual(
			records.map((r) => [r.seqNum, r.headers, r.body]),
			[
				[0, [["", "fence"]], "tok-A"],
				[1, [["", "fence"]], ""],
			],
		);
		const raw = await http(ctx, "GET", `/v1/streams/${encodeStream(s.name)}/records?seq_num=0`, { basin: s.basinName });
		assert.equal(raw.status, 200, raw.text);
		assert.deepEqual(raw.json.records[0].headers, [["", "fence"]]);
		assert.equal(raw.json.records[0].body, "tok-A");
		assert.equal("body" in raw.json.records[1], false, "an empty fence token yields no body key");
		await s.stream.append(input([str("z")], { fencingToken: "" }));
	});

	it("rejects a fence token longer than 36 bytes with 422 invalid", async () => {
		const s = await freshStream(ctx);
		const res = await rawAppend(s, { records: [{ headers: [["", "fence"]], body: "f".repeat(37) }] });
		assertErrorBody(res, 422, "invalid");
	});

	it("stores trim records with an 8-byte big-endian body and eventually hides records below the trim point, never beyond the trim record", async () => {
		const s = await freshStream(ctx, INFINITE);
		await s.stream.append(input(Array.from({ length: 10 }, (_, i) => str(`r${i}`))));
		const trimAck = await s.stream.append(input([AppendRecord.trim(5)]));
		assert.equal(trimAck.start.seqNum, 10);
		const trimRecord = (await s.stream.read({ start: { from: { seqNum: 10 } } }, { as: "bytes" })).records[0];
		assert.equal(trimRecord.seqNum, 10);
		assert.deepEqual(
			trimRecord.headers.map(([n, v]) => [[...n], new TextDecoder().decode(v)]),
			[[[], "trim"]],
		);
		assert.deepEqual([...trimRecord.body], [0, 0, 0, 0, 0, 0, 0, 5]);

		await eventually("records below seq 5 to be trimmed", async () => {
			const batch = await s.stream.read({ start: { from: { seqNum: 0 } } });
			return batch.records[0].seqNum === 5;
		});
		const afterTrim = await s.stream.read({ start: { from: { seqNum: 0 } } });
		assert.deepEqual(
			afterTrim.records.map((r) => r.seqNum),
			[5, 6, 7, 8, 9, 10],
		);

		// A trim far beyond the tail is capped at the trim record itself + 1.
		await s.stream.append(input([AppendRecord.trim(1_000_000)]));
		await s.stream.append(input([str("survivor")]));
		await eventually("records up to the second trim record to be trimmed", async () => {
			const batch = await s.stream.read({ start: { from: { seqNum: 0 } } });
			return batch.records[0].seqNum === 12;
		});
		const survivors = await s.stream.read({ start: { from: { seqNum: 0 } } });
		assert.deepEqual(
			survivors.records.map((r) => [r.seqNum, r.body]),
			[[12, "survivor"]],
		);
		assert.equal((await s.stream.checkTail()).tail.seqNum, 13, "trimming never moves the tail");
	});

	it("rejects an unknown command, a command header among other headers, and an empty header name with 422 invalid", async () => {
		const s = await freshStream(ctx);
		for (const record of [
			{ headers: [["", "compact"]], body: "" },
			{ headers: [["", "fence"], ["x", "y"]], body: "t" },
			{ headers: [["a", "b"], ["", "c"]], body: "t" },
		]) {
			const res = await rawAppend(s, { records: [record] });
			assertErrorBody(res, 422, "invalid");
		}
		assert.equal((await s.stream.checkTail()).tail.seqNum, 0);
	});
});

describe("timestamps", () => {
	it("keeps client timestamps in client-prefer mode, forces them non-decreasing and caps future ones at arrival time", async () => {
		const s = await freshStream(ctx, { ...INFINITE, timestamping: { mode: "client-prefer" } });
		const base = Date.now() - 600_000;
		const before = Date.now();
		const future = Date.now() + 3_600_000;
		await s.stream.append(
			input([str("a", { timestamp: base }), str("b", { timestamp: base - 5000 }), str("c", { timestamp: base + 10 })]),
		);
		const ack = await s.stream.append(input([str("d", { timestamp: future }), str("e")]));
		const after = Date.now();
		const records = await readAll(s.stream);
		const ts = records.map((r) => r.timestamp.getTime());
		assert.deepEqual(ts.slice(0, 3), [base, base, base + 10]);
		assert.ok(ts[3] < future, "a future client timestamp is capped");
		assert.ok(ts[3] >= before - 1000 && ts[3] <= after + 1000, `capped to arrival time, got ${ts[3]}`);
		assert.ok(ts[4] >= ts[3], "a record without timestamp gets arrival time, never below the previous one");
		assert.equal(ack.end.timestamp.getTime(), ts[4]);
	});

	it("ignores client timestamps in arrival mode", async () => {
		const s = await freshStream(ctx, { ...INFINITE, timestamping: { mode: "arrival" } });
		const before = Date.now();
		await s.stream.append(input([str("a", { timestamp: 12345 })]));
		const after = Date.now();
		const [r] = await readAll(s.stream);
		assert.notEqual(r.timestamp.getTime(), 12345);
		assert.ok(r.timestamp.getTime() >= before - 1000 && r.timestamp.getTime() <= after + 1000);
	});

	it("rejects a record without timestamp in client-require mode with 422 invalid and accepts one with a timestamp", async () => {
		const s = await freshStream(ctx, { ...INFINITE, timestamping: { mode: "client-require" } });
		await rejectsWith(s.stream.append(input([str("no ts")])), 422, "invalid");
		const res = await rawAppend(s, { records: [{ body: "no ts" }] });
		assertErrorBody(res, 422, "invalid");
		const t = Date.now() - 60_000;
		const ack = await s.stream.append(input([str("with ts", { timestamp: t })]));
		assert.equal(ack.start.timestamp.getTime(), t);
	});

	it("keeps future client timestamps when timestamping is uncapped", async () => {
		const s = await freshStream(ctx, { ...INFINITE, timestamping: { mode: "client-prefer", uncapped: true } });
		const future = Date.now() + 3_600_000;
		const ack = await s.stream.append(input([str("from the future", { timestamp: future })]));
		assert.equal(ack.start.timestamp.getTime(), future);
		const [r] = await readAll(s.stream);
		assert.equal(r.timestamp.getTime(), future);
	});
});

describe("batch limits", () => {
	it("accepts a batch of exactly 1000 records and rejects 1001 records with 422 invalid", async () => {
		const s = await freshStream(ctx);
		const ok = await rawAppend(s, { records: Array.from({ length: 1000 }, (_, i) => ({ body: `${i}` })) });
		assert.equal(ok.status, 200, ok.text);
		assert.equal(ok.json.end.seq_num - ok.json.start.seq_num, 1000);
		const tooMany = await rawAppend(s, { records: Array.from({ length: 1001 }, (_, i) => ({ body: `${i}` })) });
		assertErrorBody(tooMany, 422, "invalid");
	});

	it("rejects an empty batch with 422 invalid", async () => {
		const s = await freshStream(ctx);
		assertErrorBody(await rawAppend(s, { records: [] }), 422, "invalid");
	});

	it("accepts exactly 1 MiB of metered bytes and rejects one byte more, per record and per batch, with 422 invalid", async () => {
		const s = await freshStream(ctx);
		const MiB = 1024 * 1024;
		const exact = await rawAppend(s, { records: [{ body: "x".repeat(MiB - 8) }] });
		assert.equal(exact.status, 200, exact.text);
		assertErrorBody(await rawAppend(s, { records: [{ body: "x".repeat(MiB - 7) }] }), 422, "invalid");
		// metered = 8 + 2 * headers + name + value + body
		const withHeader = await rawAppend(s, { records: [{ headers: [["k", "v"]], body: "x".repeat(MiB - 12) }] });
		assert.equal(withHeader.status, 200, withHeader.text);
		const half = "y".repeat(MiB / 2 - 8);
		assertErrorBody(await rawAppend(s, { records: [{ body: half }, { body: `${half}y` }] }), 422, "invalid");
		assert.equal((await s.stream.checkTail()).tail.seqNum, 2);
	});
});

describe("request formats", () => {
	it("round-trips binary data through JSON with s2-format base64 and reads it raw as lossy UTF-8", async () => {
		const s = await freshStream(ctx);
		const bytes = Buffer.from([0x00, 0xff, 0x41]);
		const res = await rawAppend(
			s,
			{ records: [{ headers: [[Buffer.from("h").toString("base64"), bytes.toString("base64")]], body: bytes.toString("base64") }] },
			{ "s2-format": "base64" },
		);
		assert.equal(res.status, 200, res.text);
		const path = `/v1/streams/${encodeStream(s.name)}/records?seq_num=0`;
		const b64 = await http(ctx, "GET", path, { basin: s.basinName, headers: { "s2-format": "base64" } });
		assert.equal(b64.status, 200, b64.text);
		assert.equal(b64.json.records[0].body, bytes.toString("base64"));
		assert.deepEqual(b64.json.records[0].headers, [["aA==", bytes.toString("base64")]]);
		const raw = await http(ctx, "GET", path, { basin: s.basinName });
		assert.equal(raw.json.records[0].body, "\u0000\ufffdA");
		const asBytes = await s.stream.read({ start: { from: { seqNum: 0 } } }, { as: "bytes" });
		assert.deepEqual([...asBytes.records[0].body], [...bytes]);
	});

	it("rejects an unknown s2-format with 400 bad_header and invalid base64 with 422 invalid", async () => {
		const s = await freshStream(ctx);
		assertErrorBody(await rawAppend(s, { records: [{ body: "x" }] }, { "s2-format": "hex" }), 400, "bad_header");
		assertErrorBody(await rawAppend(s, { records: [{ body: "!!not base64!!" }] }, { "s2-format": "base64" }), 422, "invalid");
	});

	it("rejects malformed JSON and a non-JSON content type with 400 bad_json, and malformed protobuf with 400 bad_proto", async () => {
		const s = await freshStream(ctx);
		const path = `/v1/streams/${encodeStream(s.name)}/records`;
		assertErrorBody(
			await http(ctx, "POST", path, { basin: s.basinName, body: "{\"records\": [", headers: { "content-type": "application/json" } }),
			400,
			"bad_json",
		);
		assertErrorBody(await http(ctx, "POST", path, { basin: s.basinName, body: "{\"records\": [{\"body\": \"x\"}]}" }), 400, "bad_json");
		assertErrorBody(
			await http(ctx, "POST", path, {
				basin: s.basinName,
				body: new Uint8Array([0xff, 0xff, 0xff]),
				headers: { "content-type": "application/protobuf" },
			}),
			400,
			"bad_proto",
		);
		assert.equal((await s.stream.checkTail()).tail.seqNum, 0);
	});

	it("answers a protobuf append with a protobuf AppendAck when asked, and errors as JSON", async () => {
		const s = await freshStream(ctx);
		const path = `/v1/streams/${encodeStream(s.name)}/records`;
		// AppendInput { records: [ AppendRecord { body: "hi" } ] }
		const appendInput = new Uint8Array([0x0a, 0x04, 0x1a, 0x02, 0x68, 0x69]);
		const ok = await http(ctx, "POST", path, {
			basin: s.basinName,
			body: appendInput,
			headers: { "content-type": "application/protobuf", accept: "application/protobuf" },
		});
		assert.equal(ok.status, 200, ok.text);
		assert.match(ok.headers.get("content-type") ?? "", /application\/(x-)?protobuf/);
		assert.ok(ok.bytes.length > 0);
		// AppendInput with match_seq_num = 5 (field 2) must fail with a JSON 412 body.
		const stale = new Uint8Array([...appendInput, 0x10, 0x05]);
		const bad = await http(ctx, "POST", path, {
			basin: s.basinName,
			body: stale,
			headers: { "content-type": "application/protobuf", accept: "application/protobuf" },
		});
		assert.equal(bad.status, 412);
		assert.match(bad.headers.get("content-type") ?? "", /application\/json/);
		assert.deepEqual(bad.json, { seq_num_mismatch: 1 });
	});
});
