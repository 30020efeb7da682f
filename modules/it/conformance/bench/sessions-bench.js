// Session benchmark: S2S append-session throughput and ack latency (pipelined), catch-up read
// session throughput, and live tail latency with several tailing readers (S2S and SSE).
// Usage: node sessions-bench.js http://127.0.0.1:PORT [batches] [readers]
import { S2, AppendInput, AppendRecord } from "@s2-dev/streamstore";

const url = process.argv[2] ?? "http://127.0.0.1:8080";
const batches = Number(process.argv[3] ?? 2000);
const readers = Number(process.argv[4] ?? 4);
const s2 = new S2({ accessToken: "ignored", endpoints: { account: url, basin: url } });
const basinName = `bench-${Date.now().toString(16)}`;
await s2.basins.create({ basin: basinName });
const basin = s2.basin(basinName);
await basin.streams.create({ stream: "bench" });
const stream = basin.stream("bench", { forceTransport: "s2s" });

const pct = (xs, p) => {
	const s = [...xs].sort((a, b) => a - b);
	return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const fmt = (ms) => `${ms.toFixed(2)} ms`;
const body = "b".repeat(1000);
const perBatch = 100;

// 1. Append session throughput, pipelined.
{
	const session = await stream.appendSession();
	const lat = [];
	const t0 = performance.now();
	const acks = [];
	for (let i = 0; i < batches; i++) {
		const sent = performance.now();
		const ticket = await session.submit(AppendInput.create(Array.from({ length: perBatch }, () => AppendRecord.string({ body }))));
		acks.push(ticket.ack().then(() => lat.push(performance.now() - sent)));
	}
	await Promise.all(acks);
	await session.close();
	const secs = (performance.now() - t0) / 1000;
	const records = batches * perBatch;
	const mib = (records * (8 + body.length)) / (1024 * 1024);
	console.log(`append session: ${batches} batches x ${perBatch} records x 1000 B in ${secs.toFixed(1)} s: ` +
		`${Math.round(records / secs)} records/s, ${(mib / secs).toFixed(1)} MiB/s; ack latency p50 ${fmt(pct(lat, 50))} p99 ${fmt(pct(lat, 99))}`);
}

// 2. Catch-up read session throughput.
{
	const total = batches * perBatch;
	const t0 = performance.now();
	const rs = await stream.readSession({ start: { from: { seqNum: 0 } }, stop: { limits: { count: total } } });
	let n = 0;
	for await (const _ of rs) n++;
	const secs = (performance.now() - t0) / 1000;
	const mib = (n * (8 + body.length)) / (1024 * 1024);
	console.log(`catch-up read session: ${n} records in ${secs.toFixed(1)} s: ${Math.round(n / secs)} records/s, ${(mib / secs).toFixed(1)} MiB/s`);
}

// 3. Live tail latency: readers follow the tail while one writer appends 1 record every 20 ms.
for (const transport of ["s2s", "fetch"]) {
	const tail = (await stream.checkTail()).tail.seqNum;
	const sentAt = new Map();
	const lat = [];
	const count = 200;
	const followers = [];
	for (let r = 0; r < readers; r++) {
		const rs = await basin.stream("bench", { forceTransport: transport }).readSession({ start: { from: { seqNum: tail } }, stop: { limits: { count }, waitSecs: 30 } });
		followers.push((async () => {
			for await (const rec of rs) {
				const t = sentAt.get(rec.body);
				if (t !== undefined) lat.push(performance.now() - t);
			}
		})());
	}
	await new Promise((r) => setTimeout(r, 500));
	for (let i = 0; i < count; i++) {
		const b = `live-${transport}-${i}`;
		sentAt.set(b, performance.now());
		await stream.append(AppendInput.create([AppendRecord.string({ body: b })]));
		await new Promise((r) => setTimeout(r, 20));
	}
	await Promise.all(followers);
	console.log(`live tail (${transport}, ${readers} readers): ${lat.length} deliveries, append-send to reader latency p50 ${fmt(pct(lat, 50))} p99 ${fmt(pct(lat, 99))}`);
}
process.exit(0);
