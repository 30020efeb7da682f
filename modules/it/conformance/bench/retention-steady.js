// Retention steady state (issue 9): writers append continuously to many streams with a short
// retention; every --sample seconds the data dir's object bytes and files (segments and WAL chunks)
// are printed, so the curve shows whether storage levels off. At the end every record acknowledged
// inside the retention window (minus a margin) must read back.
// Start the server yourself with short lifecycle settings, e.g.:
//   MILLRACE_LIFECYCLE_SWEEP_INTERVAL=5s java -Dmillrace.engine.segments.flush-age=2s \
//     -jar modules/server/target/millrace.jar serve --port 18700 --data-dir /tmp/steady
// Usage:
//   node bench/retention-steady.js URL --data-dir DIR [--streams 20] [--secs 180]
//        [--retention 10] [--record-bytes 1024] [--batch 10] [--sample 10]
import { S2, AppendInput, AppendRecord } from "@s2-dev/streamstore";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const args = process.argv.slice(2);
const url = args[0] ?? "http://127.0.0.1:18700";
const opt = (name, dflt) => {
	const i = args.indexOf(`--${name}`);
	return i >= 0 ? args[i + 1] : dflt;
};
const dataDir = opt("data-dir", undefined);
const streams = Number(opt("streams", 20));
const secs = Number(opt("secs", 180));
const retention = Number(opt("retention", 10));
const recordBytes = Number(opt("record-bytes", 1024));
const batch = Number(opt("batch", 10));
const sampleSecs = Number(opt("sample", 10));
if (!dataDir) throw new Error("--data-dir is required (the server's data dir)");

const s2 = new S2({ accessToken: "ignored", endpoints: { account: url, basin: url } });

function walk(dir, acc = { bytes: 0, files: 0 }) {
	let entries;
	try {
		entries = readdirSync(dir, { withFileTypes: true });
	} catch {
		return acc;
	}
	for (const e of entries) {
		const p = join(dir, e.name);
		if (e.isDirectory()) walk(p, acc);
		else if (e.name.endsWith(".obj")) {
			try {
				acc.bytes += statSync(p).size;
				acc.files += 1;
			} catch {
				// deleted by a sweep since it was listed
			}
		}
	}
	return acc;
}

const basinName = `steady-${Date.now().toString(36)}`;
await s2.basins.create({ basin: basinName });
const basin = s2.basin(basinName);
const names = Array.from({ length: streams }, (_, i) => `s${i}`);
for (const name of names) {
	await basin.streams.create({ stream: name, config: { retentionPolicy: { ageSecs: retention } } });
}

const body = "x".repeat(recordBytes);
const acks = new Map(names.map((n) => [n, []])); // [seqNum, record timestamp]
const start = Date.now();
const end = start + secs * 1000;
let appended = 0;

async function writer(name) {
	const stream = basin.stream(name);
	while (Date.now() < end) {
		const ack = await stream.append(
			AppendInput.create(Array.from({ length: batch }, () => AppendRecord.string({ body }))),
		);
		// The records' own timestamps (arrival time at the server, the retention clock).
		const ts = ack.start.timestamp.getTime();
		for (let s = ack.start.seqNum; s < ack.end.seqNum; s++) acks.get(name).push([s, ts]);
		appended += ack.end.seqNum - ack.start.seqNum;
	}
}

console.log("t_s\tappended_records\tsegments_MiB\tsegment_files\twal_MiB\twal_files\ttotal_MiB");
const sampler = setInterval(() => {
	const seg = walk(join(dataDir, "objects", "segments"));
	const wal = walk(join(dataDir, "objects", "wal"));
	const mib = (b) => (b / 1048576).toFixed(2);
	console.log(
		`${Math.round((Date.now() - start) / 1000)}\t${appended}\t${mib(seg.bytes)}\t${seg.files}\t${mib(wal.bytes)}\t${wal.files}\t${mib(seg.bytes + wal.bytes)}`,
	);
}, sampleSecs * 1000);

await Promise.all(names.map(writer));
clearInterval(sampler);

// Every acknowledged record whose timestamp is inside the retention window (minus a 2 s margin for
// the read) reads back.
let checked = 0;
let missing = 0;
for (const name of names) {
	const stream = basin.stream(name);
	const readAt = Date.now();
	const tail = (await stream.checkTail()).tail.seqNum;
	const seen = new Set();
	let next = 0;
	for (;;) {
		let b;
		try {
			b = await stream.read({ start: { from: { seqNum: next } } });
		} catch (e) {
			if (e.status === 416) break;
			throw e;
		}
		if (b.records.length === 0) break;
		for (const r of b.records) seen.add(r.seqNum);
		next = b.records[b.records.length - 1].seqNum + 1;
		if (next >= tail) break;
	}
	for (const [seq, t] of acks.get(name)) {
		if (t > readAt - (retention - 2) * 1000) {
			checked++;
			if (!seen.has(seq)) missing++;
		}
	}
}
console.log(`records appended: ${appended}; inside the window checked: ${checked}; missing: ${missing}`);
if (missing > 0) process.exit(1);
