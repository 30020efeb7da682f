// Streaming-sessions benchmark (the measurements the streaming-sessions issue asks for):
//  1. one S2S append session into one stream (or one each into --streams N streams at once),
//     ~1 MiB batches of 1 KiB records, pipelined: MiB/s (metered bytes, the aggregate over the
//     streams) and per-batch ack latency p50/p99 (submit to ack);
//  2. append-to-tailing-reader latency: one S2S read session follows the tail while one S2S
//     append session is paced at 1, 10 and 50 MiB/s (1 KiB records, a batch every 10 ms):
//     p50/p99 from the submit call to the reader receiving the record, and the achieved rate;
//     every record carries its own number, and the reader checks what it is delivered: seq nums
//     must follow each other (no gap, no repeat, in order: a server fault), and each record must
//     be stored once (a record number seen again at another seq num was appended twice: the SDK's
//     append session resends unacknowledged batches after its request timeout, `--append-retry
//     all`, its default); the run exits with status 1 if the reader saw a server fault;
//  3. memory per idle read session: K idle S2S read sessions follow the tail of a stream with no
//     appends; the server's RSS (/proc/<pid>/status VmRSS) and, if jcmd works, its heap used after
//     a full GC are read before and after, after a settle; reports (after - before) / K.
// Usage:
//   node bench/sessions-bench.js URL [--pid PID] [--batches 300] [--inflight 12] [--streams 1]
//        [--rates 1,10,50] [--secs 10] [--idle 200] [--settle 5] [--read-transport s2s|fetch]
//        [--append-retry all|noSideEffects] [--request-timeout MS]
// --read-transport picks the readers' transport in parts 2 and 3 (fetch: SSE read sessions).
// Without --pid, or with --idle 0, part 3 is skipped.
import { S2, AppendInput, AppendRecord } from "@s2-dev/streamstore";
import { readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";

const args = process.argv.slice(2);
const url = args[0] ?? "http://127.0.0.1:18600";
const opt = (name, dflt) => {
	const i = args.indexOf(`--${name}`);
	return i >= 0 ? args[i + 1] : dflt;
};
const batches = Number(opt("batches", 300));
const inflight = Number(opt("inflight", 12));
// Part 1 appends to this many streams at once, one session each, the batches split evenly between
// them and up to --inflight batches unacknowledged per session; it prints the aggregate.
const streams = Number(opt("streams", 1));
const rates = String(opt("rates", "1,10,50")).split(",").filter((r) => r !== "" && r !== "none").map(Number);
const rateSecs = Number(opt("secs", 10));
const idle = Number(opt("idle", 200));
const settleSecs = Number(opt("settle", 5));
const pid = opt("pid", undefined);
const readTransport = String(opt("read-transport", "s2s"));
// The server's management URL (http://host:port): part 3 then also prints how many read sessions
// the server itself counts as open (millrace_sessions_open), to confirm they all reached it.
const metricsUrl = opt("metrics", undefined);
// The SDK's append retry policy of part 2's writers: "all" (its default) resends unacknowledged
// batches after a timeout, which may store them twice; "noSideEffects" fails the session instead.
const appendRetry = String(opt("append-retry", "all"));
// The SDK's request timeout of part 2's writers (its default: 5000 ms); an append not acknowledged
// within it is resent.
const requestTimeout = opt("request-timeout", undefined);

const MiB = 1024 * 1024;
const RECORD_METERED = 1024; // 8 bytes of per-record overhead + 1016-byte body, no headers
const BODY_LEN = RECORD_METERED - 8;
const RECORDS_PER_BATCH = 1000; // the per-batch record limit; 1000 x 1024 B = 1,024,000 B <= 1 MiB
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pct = (xs, p) => {
	const s = Float64Array.from(xs).sort();
	return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const ms = (x) => `${x.toFixed(1)} ms`;
// A 1016-byte body that starts with the send time (performance.now(), same process as the reader)
// and the record's number in its phase.
const pad = "x".repeat(BODY_LEN);
const body = (sentAt, n) => {
	const head = `${sentAt.toFixed(3)};${n};`;
	return head + pad.slice(head.length);
};

// Checks what a tailing reader is delivered. Seq nums: each must be the previous + 1 (a lower one is
// a repeat or a reordering, a higher one a gap; both are server faults). Record numbers: one seen
// again was stored twice (at another seq num: an append resent by the writer), one never seen is
// missing. Only a record number's first delivery counts for latency.
const deliveryCheck = (expected) => {
	const seen = new Uint8Array(expected);
	const c = { first: undefined, last: undefined, delivered: 0, unique: 0, repeatedSeq: 0, gaps: 0, gapRecords: 0, storedTwice: 0, foreign: 0 };
	c.observe = (seqNum, n) => {
		c.delivered++;
		if (c.last !== undefined && seqNum !== c.last + 1) {
			if (seqNum <= c.last) c.repeatedSeq++;
			else {
				c.gaps++;
				c.gapRecords += seqNum - c.last - 1;
			}
		}
		if (c.first === undefined) c.first = seqNum;
		if (c.last === undefined || seqNum > c.last) c.last = seqNum;
		if (!(n >= 0 && n < expected)) {
			c.foreign++;
			return false;
		}
		if (seen[n]) {
			c.storedTwice++;
			return false;
		}
		seen[n] = 1;
		c.unique++;
		return true;
	};
	c.serverFaults = () => c.repeatedSeq + c.gaps;
	c.summary = (streamRecords) =>
		`delivered ${c.delivered} (seq nums ${c.first ?? "-"}..${c.last ?? "-"}), ${c.unique}/${expected} distinct records, ` +
		`${expected - c.unique} missing; seq nums repeated or out of order: ${c.repeatedSeq}, gaps: ${c.gaps} (${c.gapRecords} records)` +
		`; records stored twice (writer resends): ${c.storedTwice}` +
		(c.foreign > 0 ? `; foreign records: ${c.foreign}` : "") +
		(streamRecords !== undefined ? `; the stream holds ${streamRecords} records` : "");
	return c;
};
let serverFaults = 0;

// The server's printed S2_ACCESS_TOKEN (or anything, for a server started with --auth off).
const s2 = new S2({ accessToken: process.env.S2_ACCESS_TOKEN ?? "ignored", endpoints: { account: url, basin: url } });
// The writers of part 2 use their own client, with --append-retry and --request-timeout.
const s2Writer = new S2({
	accessToken: process.env.S2_ACCESS_TOKEN ?? "ignored",
	endpoints: { account: url, basin: url },
	retry: {
		appendRetryPolicy: appendRetry,
		...(requestTimeout !== undefined && { requestTimeoutMillis: Number(requestTimeout) }),
	},
});
const basinName = `bench-${Date.now().toString(16)}`;
await s2.basins.create({ basin: basinName });
const basin = s2.basin(basinName);
const writerBasin = s2Writer.basin(basinName);
const open = async (name) => {
	await basin.streams.create({ stream: name });
	return basin.stream(name, { forceTransport: "s2s" });
};
const reading = (name) => basin.stream(name, { forceTransport: readTransport });

// 1. Append session throughput with ~1 MiB batches, at most `inflight` batches unacknowledged per
// session, `streams` streams at once (one session each).
{
	// The SDK holds back submits beyond maxInflightBytes (default 3 MiB: with its own framing,
	// about two of these batches); allow `inflight` batches as the option says.
	const batchBytes = RECORDS_PER_BATCH * RECORD_METERED + 64 * 1024;
	const records = Array.from({ length: RECORDS_PER_BATCH }, () => AppendRecord.string({ body: pad }));
	const lat = [];
	const perStream = Math.floor(batches / streams);
	const sessions = [];
	for (let k = 0; k < streams; k++) {
		const stream = await open(streams === 1 ? "throughput" : `throughput-${k}`);
		sessions.push(await stream.appendSession({ maxInflightBytes: inflight * batchBytes }));
	}
	const t0 = performance.now();
	await Promise.all(
		sessions.map(async (session) => {
			const pending = new Set();
			for (let i = 0; i < perStream; i++) {
				while (pending.size >= inflight) await Promise.race(pending);
				const sent = performance.now();
				const ticket = await session.submit(AppendInput.create(records));
				const p = ticket.ack().then(() => {
					lat.push(performance.now() - sent);
					pending.delete(p);
				});
				pending.add(p);
			}
			await Promise.all(pending);
		}),
	);
	const secs = (performance.now() - t0) / 1000;
	await Promise.all(sessions.map((s) => s.close()));
	const sent = perStream * streams;
	const mib = (sent * RECORDS_PER_BATCH * RECORD_METERED) / MiB;
	console.log(
		`1. append session${streams === 1 ? "" : `s to ${streams} streams`}: ${sent} batches x ${RECORDS_PER_BATCH} records x ${RECORD_METERED} B metered ` +
			`(${mib.toFixed(0)} MiB, <= ${inflight} batches in flight${streams === 1 ? "" : " per session"}) in ${secs.toFixed(1)} s: ` +
			`${(mib / secs).toFixed(1)} MiB/s; ack latency p50 ${ms(pct(lat, 50))} p99 ${ms(pct(lat, 99))}`,
	);
}

// 2. Append-to-tailing-reader latency at paced rates.
for (const rate of rates) {
	const stream = await open(`tail-${rate}`);
	const lat = [];
	let received = 0;
	const recordsPerSec = (rate * MiB) / RECORD_METERED;
	const total = Math.round(recordsPerSec * rateSecs);
	const check = deliveryCheck(total);
	const rs = await reading(`tail-${rate}`).readSession({ start: { from: { tailOffset: 0 } } });
	let stopReader = false;
	const reader = (async () => {
		for await (const rec of rs) {
			const now = performance.now();
			const [sentAt, n] = rec.body.split(";", 2).map(Number);
			if (check.observe(rec.seqNum, n)) {
				lat.push(now - sentAt);
				received++;
			}
			if (stopReader) break;
		}
	})();
	await sleep(300);
	const session = await writerBasin.stream(`tail-${rate}`, { forceTransport: "s2s" }).appendSession();
	const tickMs = 10;
	const pending = new Set();
	let sentRecords = 0;
	const t0 = performance.now();
	let appendError;
	while (sentRecords < total && appendError === undefined) {
		const elapsed = performance.now() - t0;
		const due = Math.min(total, Math.floor((recordsPerSec * elapsed) / 1000) + 1);
		let n = Math.min(due - sentRecords, RECORDS_PER_BATCH);
		if (n > 0) {
			const sentAt = performance.now();
			const recs = Array.from({ length: n }, (_, k) => AppendRecord.string({ body: body(sentAt, sentRecords + k) }));
			let ticket;
			try {
				ticket = await session.submit(AppendInput.create(recs));
			} catch (e) {
				appendError = e;
				break;
			}
			const p = ticket.ack().then(
				() => pending.delete(p),
				(e) => {
					appendError = e;
					pending.delete(p);
				},
			);
			pending.add(p);
			sentRecords += n;
		}
		const next = t0 + (Math.floor((performance.now() - t0) / tickMs) + 1) * tickMs;
		await sleep(Math.max(0, next - performance.now()));
	}
	await Promise.all(pending);
	const sendSecs = (performance.now() - t0) / 1000;
	const deadline = performance.now() + 10_000;
	while (received < total && performance.now() < deadline) await sleep(20);
	stopReader = true;
	await session.close().catch(() => {});
	await rs.cancel?.().catch(() => {});
	await Promise.race([reader.catch(() => {}), sleep(500)]);
	const achieved = (sentRecords * RECORD_METERED) / MiB / sendSecs;
	const streamRecords = await stream
		.checkTail()
		.then((t) => t.tail.seqNum)
		.catch(() => undefined);
	serverFaults += check.serverFaults();
	console.log(
		`2. tail latency (${readTransport} reader) at ${rate} MiB/s target: achieved ${achieved.toFixed(1)} MiB/s over ${sendSecs.toFixed(1)} s, ` +
			`${received}/${total} records received; submit-to-reader latency p50 ${ms(pct(lat, 50))} p99 ${ms(pct(lat, 99))}`,
	);
	if (appendError !== undefined) console.log(`2. the writer failed at ${rate} MiB/s after ${sentRecords} records: ${appendError.message}`);
	console.log(`2. delivery check at ${rate} MiB/s: ${check.summary(streamRecords)}: ${check.serverFaults() === 0 ? "OK" : "SERVER FAULT"}`);
}

// 3. Memory per idle read session.
if (pid !== undefined && idle > 0) {
	const rssKiB = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]);
	const heapUsedKiB = () => {
		try {
			// Live objects only: the class histogram runs a full GC first and sums what survives
			// (GC.heap_info's "used" after GC.run also counted garbage G1 had not collected).
			const out = execFileSync("jcmd", [pid, "GC.class_histogram"], { stdio: "pipe", maxBuffer: 64 << 20 }).toString();
			return Number(/Total\s+\d+\s+(\d+)/.exec(out)[1]) / 1024;
		} catch {
			return undefined;
		}
	};
	const stream = await open("idle");
	await sleep(settleSecs * 1000);
	const rss0 = rssKiB();
	const heap0 = heapUsedKiB();
	const sessions = [];
	const loops = [];
	let ended = 0;
	for (let i = 0; i < idle; i++) {
		const rs = await reading("idle").readSession({ start: { from: { tailOffset: 0 } } });
		sessions.push(rs);
		loops.push((async () => {
			try {
				for await (const _ of rs) {
				}
			} catch {}
			ended++;
		})());
	}
	// How many read sessions the server counts as open (all protocols), or undefined.
	const serverOpen = async () => {
		if (metricsUrl === undefined) return undefined;
		let text;
		try {
			text = await (await fetch(`${metricsUrl}/metrics`)).text();
		} catch {
			return -1; // the management port did not answer this time
		}
		return text
			.split("\n")
			.filter((l) => l.startsWith("millrace_sessions_open") && l.includes('direction="read"'))
			.reduce((sum, l) => sum + Number(l.split(" ").pop()), 0);
	};
	// With --metrics, wait (at most 120 s) until the server serves all of them.
	const waitUntil = performance.now() + 120_000;
	while (metricsUrl !== undefined && (await serverOpen()) < idle && performance.now() < waitUntil) await sleep(500);
	await sleep(settleSecs * 1000);
	const rss1 = rssKiB();
	const heap1 = heapUsedKiB();
	const atServer = await serverOpen();
	if (atServer !== undefined) {
		console.log(`3. read sessions the server counts as open at the second reading: ${atServer}`);
	}
	const counted = atServer !== undefined && atServer > 0 ? atServer : idle;
	const per = (a, b) => `${(((b - a) * 1024) / counted / 1024).toFixed(1)} KiB`;
	console.log(
		`3. ${idle} idle ${readTransport} read sessions following the tail (${idle - ended} still open at the second reading): server RSS ${(rss0 / 1024).toFixed(0)} -> ${(rss1 / 1024).toFixed(0)} MiB ` +
			`(${per(rss0, rss1)} per session)` +
			(heap0 !== undefined && heap1 !== undefined
				? `; live heap (class histogram after full GC) ${(heap0 / 1024).toFixed(1)} -> ${(heap1 / 1024).toFixed(1)} MiB (${per(heap0, heap1)} per session)`
				: "; heap: jcmd unavailable"),
	);
	for (const rs of sessions) await rs.cancel?.().catch(() => {});
}
process.exit(serverFaults === 0 ? 0 : 1);
