// Encrypted streams through the S2 TypeScript SDK (spec sections 2.6, 3.2, 4.2 and 8.1): a basin
// with stream_cipher aes-256-gcm, appends and reads (unary and sessions, both SDK transports) with
// the stream's key, and the errors: missing key 400 bad_header, wrong key 400 decryption_failed,
// malformed key 400 bad_header, aegis-256 refused with 422 invalid.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { AppendInput, AppendRecord } from "@s2-dev/streamstore";
import { assertErrorBody, basinName, encodeStream, freshBasin, http, rejectsWith, useServer } from "../lib/s2.js";

const ctx = useServer();

const str = (body, extra = {}) => AppendRecord.string({ body, ...extra });
const newKey = () => randomBytes(32).toString("base64");
const fromStart = { start: { from: { seqNum: 0 } }, stop: { limits: { count: 100 } } };

/** A fresh basin with aes-256-gcm and one stream created in it. */
async function encryptedStream(name = "secret/ledger") {
	const basin = await freshBasin(ctx, { streamCipher: "aes-256-gcm" }, "enc");
	const info = await basin.streams.create({ stream: name });
	return { basin, name, info, basinName: basin.name };
}

/** Reads records from a session until `n` have arrived (or the deadline passes). */
async function collect(session, n, timeoutMs = 30_000) {
	const got = [];
	const timer = setTimeout(() => session.cancel?.("timeout"), timeoutMs);
	try {
		for await (const r of session) {
			got.push(r);
			if (got.length >= n) break;
		}
	} finally {
		clearTimeout(timer);
	}
	return got;
}

describe("encrypted streams", () => {
	it("reports the cipher on streams of a basin with stream_cipher aes-256-gcm", async () => {
		const s = await encryptedStream();
		assert.equal(s.info.cipher, "aes-256-gcm");
		const config = await ctx.s2.basins.getConfig({ basin: s.basinName });
		assert.equal(config.streamCipher, "aes-256-gcm");
		const listed = await s.basin.streams.list();
		assert.deepEqual(
			listed.streams.map((x) => [x.name, x.cipher]),
			[[s.name, "aes-256-gcm"]],
		);
	});

	it("appends and reads back records, headers included, with the stream's key", async () => {
		const s = await encryptedStream();
		const key = newKey();
		const stream = s.basin.stream(s.name, { encryptionKey: key });
		const ack = await stream.append(
			AppendInput.create([str("first secret", { headers: [["kind", "classified"]] }), str("second")]),
		);
		assert.equal(ack.end.seqNum, 2);
		const batch = await stream.read(fromStart);
		assert.deepEqual(
			batch.records.map((r) => [r.seqNum, r.body, r.headers]),
			[
				[0, "first secret", [["kind", "classified"]]],
				[1, "second", []],
			],
		);
		// Check tail returns no record, so it needs no key.
		const tail = await s.basin.stream(s.name).checkTail();
		assert.equal(tail.tail.seqNum, 2);
	});

	it("refuses appends and reads without the key with 400 bad_header", async () => {
		const s = await encryptedStream();
		await s.basin.stream(s.name, { encryptionKey: newKey() }).append(AppendInput.create([str("x")]));
		const bare = s.basin.stream(s.name);
		const append = await rejectsWith(bare.append(AppendInput.create([str("y")])), 400, "bad_header");
		assert.match(append.message, /missing encryption key/);
		await rejectsWith(bare.read(fromStart), 400, "bad_header");
		assertErrorBody(
			await http(ctx, "GET", `/v1/streams/${encodeStream(s.name)}/records?seq_num=0`, { basin: s.basinName }),
			400,
			"bad_header",
		);
	});

	it("answers a read with another key with 400 decryption_failed", async () => {
		const s = await encryptedStream();
		await s.basin.stream(s.name, { encryptionKey: newKey() }).append(AppendInput.create([str("for my eyes only")]));
		const err = await rejectsWith(
			s.basin.stream(s.name, { encryptionKey: newKey() }).read(fromStart),
			400,
			"decryption_failed",
		);
		assert.doesNotMatch(err.message, /for my eyes only/);
	});

	it("refuses a malformed key with 400 bad_header", async () => {
		const s = await encryptedStream();
		const path = `/v1/streams/${encodeStream(s.name)}/records`;
		for (const bad of ["not base64 !!", randomBytes(16).toString("base64")]) {
			assertErrorBody(
				await http(ctx, "POST", path, {
					basin: s.basinName,
					json: { records: [{ body: "x" }] },
					headers: { "s2-encryption-key": bad },
				}),
				400,
				"bad_header",
			);
			assertErrorBody(
				await http(ctx, "GET", `${path}?seq_num=0`, { basin: s.basinName, headers: { "s2-encryption-key": bad } }),
				400,
				"bad_header",
			);
		}
	});

	for (const transport of ["s2s", "fetch"]) {
		it(`append and read sessions over ${transport} carry the key`, async () => {
			const s = await encryptedStream();
			const key = newKey();
			const stream = s.basin.stream(s.name, { encryptionKey: key, forceTransport: transport });
			const session = await stream.appendSession();
			const tickets = [];
			for (let i = 0; i < 5; i++) {
				tickets.push(await session.submit(AppendInput.create([str(`secret ${i}`, { headers: [["n", `${i}`]] })])));
			}
			await Promise.all(tickets.map((t) => t.ack()));
			await session.close();
			const rs = await stream.readSession({ start: { from: { seqNum: 0 } }, stop: { limits: { count: 5 } } });
			const records = await collect(rs, 5);
			assert.deepEqual(
				records.map((r) => [r.seqNum, r.body, r.headers]),
				Array.from({ length: 5 }, (_, i) => [i, `secret ${i}`, [["n", `${i}`]]]),
			);
		});

		it(`a read session over ${transport} with another key fails with 400 decryption_failed`, async () => {
			const s = await encryptedStream();
			await s.basin.stream(s.name, { encryptionKey: newKey() }).append(AppendInput.create([str("hidden")]));
			const stream = s.basin.stream(s.name, { encryptionKey: newKey(), forceTransport: transport });
			let error;
			try {
				const rs = await stream.readSession({ start: { from: { seqNum: 0 } }, stop: { limits: { count: 1 } } });
				await collect(rs, 1);
			} catch (e) {
				error = e;
			}
			assert.ok(error, "the session should have failed");
			assert.equal(error.status, 400, `got ${error.status}: ${error.message}`);
			assert.equal(error.code, "decryption_failed");
		});

		it(`a read session over ${transport} without the key fails with 400 bad_header`, async () => {
			const s = await encryptedStream();
			const stream = s.basin.stream(s.name, { forceTransport: transport });
			let error;
			try {
				const rs = await stream.readSession({ start: { from: { seqNum: 0 } }, stop: { limits: { count: 1 } } });
				await collect(rs, 1, 5_000);
			} catch (e) {
				error = e;
			}
			assert.ok(error, "the session should have failed");
			assert.equal(error.status, 400, `got ${error.status}: ${error.message}`);
			assert.equal(error.code, "bad_header");
		});
	}

	it("refuses aegis-256 with 422 invalid, which it does not apply", async () => {
		const basin = basinName("aegis");
		const err = await rejectsWith(
			ctx.s2.basins.create({ basin, config: { streamCipher: "aegis-256" } }),
			422,
			"invalid",
		);
		assert.match(err.message, /aegis-256/);
	});

	it("serves unencrypted streams as before, with or without a key", async () => {
		const basin = await freshBasin(ctx, undefined, "plain");
		const info = await basin.streams.create({ stream: "open" });
		assert.equal(info.cipher ?? null, null);
		await basin.stream("open", { encryptionKey: newKey() }).append(AppendInput.create([str("visible")]));
		const batch = await basin.stream("open").read(fromStart);
		assert.deepEqual(
			batch.records.map((r) => r.body),
			["visible"],
		);
	});
});
