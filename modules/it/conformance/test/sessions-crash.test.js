// Crash test with append sessions: S2S append sessions (pipelined, several batches in flight)
// write while the server is killed with SIGKILL at random moments and restarted on the same data
// directory. Every batch the server acked must then be in the stream at the acked seq nums with
// its bodies, and the stream must read back gapless.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createWriteStream, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { AppendInput, AppendRecord, S2 } from "@s2-dev/streamstore";
import { freePort, jarPath, printedToken } from "../lib/server.js";

const here = dirname(fileURLToPath(import.meta.url));
const logDir = process.env.MILLRACE_IT_LOGS ?? join(resolve(here, "..", ".."), "target", "it-logs");
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const ROUNDS = Number(process.env.MILLRACE_SESSION_CRASH_ROUNDS ?? 3);

/** Starts the jar on a given port and data dir; resolves once /health is 200. */
async function start(port, dataDir, round) {
	mkdirSync(logDir, { recursive: true });
	const log = createWriteStream(join(logDir, `sessions-crash-${port}-${round}.log`));
	const child = spawn(
		"java",
		["-Xmx512m", "-jar", jarPath, "serve", "--host", "127.0.0.1", "--port", String(port), "--data-dir", dataDir],
		{ stdio: ["ignore", "pipe", "pipe"] },
	);
	let stdout = "";
	child.stdout.on("data", (chunk) => {
		stdout += chunk.toString("utf8");
	});
	child.stdout.pipe(log);
	child.stderr.pipe(log);
	let exited = false;
	child.on("exit", () => {
		exited = true;
	});
	const deadline = Date.now() + 120_000;
	for (;;) {
		assert.ok(!exited, `server exited before it was ready (round ${round})`);
		try {
			const res = await fetch(`http://127.0.0.1:${port}/health`);
			await res.arrayBuffer();
			if (res.status === 200 && printedToken(stdout)) break;
		} catch {
			// not yet listening
		}
		assert.ok(Date.now() < deadline, "server did not become ready within 120 s");
		await sleep(200);
	}
	const kill = async () => {
		if (!exited) {
			const gone = new Promise((r) => child.once("exit", r));
			child.kill("SIGKILL");
			await gone;
		}
		log.end();
	};
	// The root token is kept in the data dir, so it is the same after every restart.
	return { kill, token: printedToken(stdout) };
}

function client(port, token) {
	const url = `http://127.0.0.1:${port}`;
	return new S2({ accessToken: token, endpoints: { account: url, basin: url }, retry: { maxAttempts: 1 } });
}

describe("append sessions across kill -9", () => {
	it("every acked batch of a pipelined append session survives repeated SIGKILL at its acked seq nums", { timeout: 900_000 }, async () => {
		const port = await freePort();
		const dataDir = mkdtempSync(join(tmpdir(), "millrace-sessions-crash-"));
		const acked = new Map(); // seq num -> body
		const basinName = `crash-${Date.now().toString(16)}`;
		let server = await start(port, dataDir, 0);
		try {
			let s2 = client(port, server.token);
			await s2.basins.create({ basin: basinName });
			await s2.basin(basinName).streams.create({ stream: "log" });
			let batchNo = 0;
			for (let round = 1; round <= ROUNDS; round++) {
				const stop = { now: false };
				const writers = [0, 1].map(async (w) => {
					while (!stop.now) {
						let session;
						try {
							session = await s2.basin(basinName).stream("log", { forceTransport: "s2s" }).appendSession();
							const inFlight = [];
							for (let i = 0; i < 50 && !stop.now; i++) {
								const n = batchNo++;
								const bodies = [0, 1, 2].map((k) => `w${w}-b${n}-r${k}`);
								const ticket = await session.submit(AppendInput.create(bodies.map((body) => AppendRecord.string({ body }))));
								inFlight.push(
									ticket.ack().then(
										(ack) => bodies.forEach((b, k) => acked.set(ack.start.seqNum + k, b)),
										() => {},
									),
								);
								if (inFlight.length % 5 === 0) await sleep(5);
							}
							await Promise.all(inFlight);
							await session.close().catch(() => {});
						} catch {
							await sleep(100);
						}
					}
				});
				await sleep(1000 + Math.floor(Math.random() * 3000));
				await server.kill();
				stop.now = true;
				await Promise.race([Promise.all(writers), sleep(30_000)]);
				server = await start(port, dataDir, round);
				s2 = client(port, server.token);
			}
			assert.ok(acked.size > 0, "no batch was acked at all");
			const stream = s2.basin(basinName).stream("log");
			const tail = await stream.checkTail();
			const stored = [];
			while (stored.length < tail.tail.seqNum) {
				const batch = await stream.read({ start: { from: { seqNum: stored.length } }, stop: { limits: { count: 1000 } } });
				assert.ok(batch.records.length > 0, `read at ${stored.length} returned nothing below the tail ${tail.tail.seqNum}`);
				for (const r of batch.records) {
					assert.equal(r.seqNum, stored.length, "the stream reads back gapless");
					stored.push(r.body);
				}
			}
			for (const [seq, body] of acked) {
				assert.equal(stored[seq], body, `acked record at ${seq}`);
			}
			console.log(`${acked.size} acked records of ${stored.length} stored survived ${ROUNDS} kills`);
		} finally {
			await server.kill();
			rmSync(dataDir, { recursive: true, force: true });
		}
	});
});
