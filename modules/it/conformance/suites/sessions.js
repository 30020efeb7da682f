// Streaming sessions through the S2 TypeScript SDK (spec sections 6.4 and 6.5): append sessions,
// read sessions and the Producer over both SDK transports (s2s: S2S over HTTP/2 cleartext with
// prior knowledge; fetch: SSE reads and unary appends over HTTP/1.1), plus raw SSE for what the
// SDK does not expose (event ids, Last-Event-ID resumption).

import assert from "node:assert/strict";
import { connect, createServer } from "node:net";
import { describe, it } from "node:test";
import { AppendInput, AppendRecord, BatchTransform, Producer, S2 } from "@s2-dev/streamstore";
import { encodeStream, freshStream, useServer } from "../lib/s2.js";

const ctx = useServer();

const str = (body) => AppendRecord.string({ body });
const TRANSPORTS = ["s2s", "fetch"];

/** A fresh stream and its handle bound to one transport. */
async function streamFor(transport) {
	const s = await freshStream(ctx);
	return { ...s, handle: s.basin.stream(s.name, { forceTransport: transport }) };
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

for (const transport of TRANSPORTS) {
	describe(`sessions over the ${transport} transport`, () => {
		it("an append session acks pipelined batches in order and a read session returns them", async () => {
			const s = await streamFor(transport);
			const session = await s.handle.appendSession();
			const tickets = [];
			for (let i = 0; i < 20; i++) {
				tickets.push(await session.submit(AppendInput.create([str(`a${i}`), str(`b${i}`)])));
			}
			const acks = await Promise.all(tickets.map((t) => t.ack()));
			await session.close();
			acks.forEach((ack, i) => {
				assert.equal(ack.start.seqNum, 2 * i);
				assert.equal(ack.end.seqNum, 2 * i + 2);
			});
			const rs = await s.handle.readSession({ start: { from: { seqNum: 0 } }, stop: { limits: { count: 40 } } });
			const records = await collect(rs, 40);
			assert.deepEqual(
				records.map((r) => [r.seqNum, r.body]),
				Array.from({ length: 40 }, (_, i) => [i, `${i % 2 === 0 ? "a" : "b"}${Math.floor(i / 2)}`]),
			);
		});

		it("a read session catches up, then follows the tail live", async () => {
			const s = await streamFor(transport);
			await s.handle.append(AppendInput.create([str("old0"), str("old1")]));
			const rs = await s.handle.readSession({ start: { from: { seqNum: 0 } } });
			const pending = collect(rs, 5);
			await new Promise((r) => setTimeout(r, 500));
			await s.handle.append(AppendInput.create([str("new0"), str("new1"), str("new2")]));
			const records = await pending;
			assert.deepEqual(
				records.map((r) => r.body),
				["old0", "old1", "new0", "new1", "new2"],
			);
			assert.deepEqual(
				records.map((r) => r.seqNum),
				[0, 1, 2, 3, 4],
			);
			const tail = rs.lastObservedTail?.();
			if (tail !== undefined) assert.ok(tail.seqNum >= 5, `observed tail ${JSON.stringify(tail)}`);
		});

		it("a read session with a count limit ends by itself after that many records", async () => {
			const s = await streamFor(transport);
			await s.handle.append(AppendInput.create([str("x0"), str("x1")]));
			const rs = await s.handle.readSession({
				start: { from: { seqNum: 0 } },
				stop: { limits: { count: 3 }, waitSecs: 30 },
			});
			const pending = (async () => {
				const got = [];
				for await (const r of rs) got.push(r.body);
				return got;
			})();
			await new Promise((r) => setTimeout(r, 300));
			await s.handle.append(AppendInput.create([str("x2"), str("x3")]));
			assert.deepEqual(await pending, ["x0", "x1", "x2"]);
		});

		it("the Producer batches records and acks each with its seq num", async () => {
			const s = await streamFor(transport);
			const producer = new Producer(new BatchTransform({ lingerDurationMillis: 5 }), await s.handle.appendSession());
			const tickets = [];
			for (let i = 0; i < 100; i++) tickets.push(await producer.submit(str(`p${i}`)));
			const acks = await Promise.all(tickets.map((t) => t.ack()));
			await producer.close();
			assert.deepEqual(
				acks.map((a) => a.seqNum()),
				Array.from({ length: 100 }, (_, i) => i),
			);
			const batch = await s.handle.read({ start: { from: { seqNum: 0 } }, stop: { limits: { count: 1000 } } });
			assert.deepEqual(
				batch.records.map((r) => r.body),
				Array.from({ length: 100 }, (_, i) => `p${i}`),
			);
		});
	});
}

describe("sessions under concurrency and failure", () => {
	it("concurrent append sessions and tailing readers of both transports see one gapless order", async () => {
		const s = await freshStream(ctx);
		const writers = 4;
		const batchesPerWriter = 15;
		const perBatch = 3;
		const total = writers * batchesPerWriter * perBatch;
		const readers = [];
		for (const transport of [...TRANSPORTS, ...TRANSPORTS]) {
			const rs = await s.basin.stream(s.name, { forceTransport: transport }).readSession({ start: { from: { seqNum: 0 } } });
			readers.push(collect(rs, total, 60_000));
		}
		await Promise.all(
			Array.from({ length: writers }, async (_, w) => {
				const session = await s.basin.stream(s.name, { forceTransport: "s2s" }).appendSession();
				const tickets = [];
				for (let b = 0; b < batchesPerWriter; b++) {
					tickets.push(
						await session.submit(AppendInput.create(Array.from({ length: perBatch }, (_, i) => str(`w${w}-b${b}-r${i}`)))),
					);
				}
				await Promise.all(tickets.map((t) => t.ack()));
				await session.close();
			}),
		);
		const stored = await s.stream.read({ start: { from: { seqNum: 0 } }, stop: { limits: { count: 1000 } } });
		assert.equal(stored.records.length, total);
		const expected = stored.records.map((r) => [r.seqNum, r.body]);
		assert.deepEqual(
			expected.map(([seq]) => seq),
			Array.from({ length: total }, (_, i) => i),
		);
		for (let w = 0; w < writers; w++) {
			const mine = stored.records.map((r) => r.body).filter((b) => b.startsWith(`w${w}-`));
			assert.deepEqual(
				mine,
				Array.from({ length: batchesPerWriter * perBatch }, (_, i) => `w${w}-b${Math.floor(i / perBatch)}-r${i % perBatch}`),
				`writer ${w}'s records keep their submission order`,
			);
		}
		for (const got of await Promise.all(readers)) {
			assert.deepEqual(
				got.map((r) => [r.seqNum, r.body]),
				expected,
			);
		}
	});

	it("a 412 in the middle of a pipelined append session ends it and nothing after it is appended", async () => {
		const s = await streamFor("s2s");
		const session = await s.handle.appendSession();
		const t1 = await session.submit(AppendInput.create([str("one")], { matchSeqNum: 0 }));
		const t2 = await session.submit(AppendInput.create([str("two")], { matchSeqNum: 99 }));
		const t3 = await session.submit(AppendInput.create([str("three")]));
		const ack1 = await t1.ack();
		assert.equal(ack1.end.seqNum, 1);
		await assert.rejects(t2.ack(), (e) => e.status === 412);
		await assert.rejects(t3.ack());
		await session.close().catch(() => {});
		const batch = await s.stream.read({ start: { from: { seqNum: 0 } }, stop: { limits: { count: 10 } } });
		assert.deepEqual(
			batch.records.map((r) => r.body),
			["one"],
		);
	});

	for (const transport of TRANSPORTS) {
		it(`a read session (${transport}) idle at the tail outlives the SDK's 20-25 s silence timeout thanks to heartbeats`, async () => {
			const s = await streamFor(transport);
			const rs = await s.handle.readSession({ start: { from: { seqNum: 0 } } });
			const pending = collect(rs, 1, 45_000);
			await new Promise((r) => setTimeout(r, 27_000));
			await s.handle.append(AppendInput.create([str("after-idle")]));
			const got = await pending;
			assert.deepEqual(
				got.map((r) => r.body),
				["after-idle"],
			);
		});
	}

	for (const transport of TRANSPORTS) {
		it(`a following read session (${transport}) ends cleanly when its stream is deleted`, async () => {
			const s = await streamFor(transport);
			await s.handle.append(AppendInput.create([str("before")]));
			const rs = await s.handle.readSession({ start: { from: { seqNum: 0 } } });
			const done = (async () => {
				const got = [];
				for await (const r of rs) got.push(r.body);
				return got;
			})();
			await new Promise((r) => setTimeout(r, 500));
			await s.basin.streams.delete({ stream: s.name });
			const got = await Promise.race([
				done,
				new Promise((_, fail) => setTimeout(() => fail(new Error("session did not end within 30 s")), 30_000)),
			]);
			assert.deepEqual(got, ["before"]);
		});
	}

	it("S2S sessions with gzip compression send and receive compressed frames", async () => {
		const s = await freshStream(ctx);
		const gz = new S2({
			accessToken: ctx.token,
			endpoints: { account: ctx.url, basin: ctx.url },
			retry: { maxAttempts: 1 },
			compression: "gzip",
		});
		const stream = gz.basin(s.basinName).stream(s.name, { forceTransport: "s2s" });
		const session = await stream.appendSession();
		const big = (i) => `${i}:${"z".repeat(4000)}`;
		const tickets = [];
		for (let i = 0; i < 5; i++) tickets.push(await session.submit(AppendInput.create([str(big(i))])));
		await Promise.all(tickets.map((t) => t.ack()));
		await session.close();
		const rs = await stream.readSession({ start: { from: { seqNum: 0 } }, stop: { limits: { count: 5 } } });
		const got = [];
		for await (const r of rs) got.push(r.body);
		assert.deepEqual(got, [0, 1, 2, 3, 4].map(big));
	});

	for (const transport of TRANSPORTS) {
		it(`an SDK read session (${transport}) resumes without gaps or repeats after its connections are dropped`, async () => {
			const s = await freshStream(ctx);
			const target = new URL(ctx.url);
			const sockets = new Set();
			const proxy = createServer((client) => {
				const upstream = connect(Number(target.port), target.hostname);
				for (const sock of [client, upstream]) {
					sockets.add(sock);
					sock.on("error", () => {});
					sock.on("close", () => {
						sockets.delete(sock);
						client.destroy();
						upstream.destroy();
					});
				}
				client.pipe(upstream);
				upstream.pipe(client);
			});
			await new Promise((r) => proxy.listen(0, "127.0.0.1", r));
			const via = `http://127.0.0.1:${proxy.address().port}`;
			const reader = new S2({
				accessToken: ctx.token,
				endpoints: { account: via, basin: via },
				retry: { maxAttempts: 20, minBaseDelayMillis: 50 },
			});
			try {
				const rs = await reader
					.basin(s.basinName)
					.stream(s.name, { forceTransport: transport })
					.readSession({ start: { from: { seqNum: 0 } } });
				const pending = collect(rs, 60, 60_000);
				for (let round = 0; round < 3; round++) {
					await s.stream.append(AppendInput.create(Array.from({ length: 20 }, (_, i) => str(`r${round * 20 + i}`))));
					await new Promise((r) => setTimeout(r, 400));
					assert.ok(sockets.size > 0, "the reader has a connection to drop");
					for (const sock of sockets) sock.destroy();
				}
				const got = await pending;
				assert.deepEqual(
					got.map((r) => [r.seqNum, r.body]),
					Array.from({ length: 60 }, (_, i) => [i, `r${i}`]),
				);
			} finally {
				for (const sock of sockets) sock.destroy();
				proxy.close();
			}
		});
	}

	it("SSE batches carry seq,count,bytes ids and a new session resumes from Last-Event-ID", async () => {
		const s = await freshStream(ctx);
		await s.stream.append(AppendInput.create(["a", "bb", "ccc", "dddd"].map(str)));
		const url = `${ctx.url}/v1/streams/${encodeStream(s.name)}/records?seq_num=0&count=4`;
		const headers = { authorization: `Bearer ${ctx.token}`, "s2-basin": s.basinName, accept: "text/event-stream" };
		const first = await (await fetch(`${url.replace("count=4", "count=2")}`, { headers })).text();
		const id = /^id: (.*)$/m.exec(first)?.[1];
		assert.equal(id, `1,2,${8 + 1 + 8 + 2}`);
		assert.match(first, /data: \[DONE\]\n\n$/);
		const resumed = await (await fetch(url, { headers: { ...headers, "last-event-id": id } })).text();
		const data = [...resumed.matchAll(/^event: batch\nid: (.*)\ndata: (.*)$/gm)];
		const bodies = data.flatMap((m) => JSON.parse(m[2]).records.map((r) => r.body));
		assert.deepEqual(bodies, ["ccc", "dddd"]);
		assert.equal(data[data.length - 1][1], `3,4,${8 * 4 + 1 + 2 + 3 + 4}`);
	});
});
