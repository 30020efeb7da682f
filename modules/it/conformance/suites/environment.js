// A user starts the server, copies the export lines it prints into their shell, and the SDK
// configured from the environment (the S2 docs' recipe for s2-lite) just works.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { AppendInput, AppendRecord, S2, S2Environment } from "@s2-dev/streamstore";
import { basinName, eventually, useServer } from "../lib/s2.js";

const ctx = useServer();

describe("starting the server", () => {
	it("answers GET /health with 200 OK once ready", async () => {
		const res = await fetch(`${ctx.url}/health`);
		assert.equal(res.status, 200);
		assert.equal((await res.text()).trim(), "OK");
	});

	it("prints the S2 environment exports, and an SDK configured from them creates, appends and reads", async () => {
		const exports = await eventually("the ready banner in the server output", () => {
			const out = readFileSync(ctx.server.logFile, "utf8");
			const vars = Object.fromEntries(
				[...out.matchAll(/^export (S2_[A-Z_]+)=(\S+)$/gm)].map((m) => [m[1], m[2]]),
			);
			return /Millrace ready on http:\/\/\S+/.test(out) && Object.keys(vars).length >= 3 ? vars : undefined;
		});
		assert.equal(exports.S2_ACCOUNT_ENDPOINT, ctx.url);
		assert.equal(exports.S2_BASIN_ENDPOINT, ctx.url);
		assert.equal(exports.S2_ACCESS_TOKEN, ctx.token);
		assert.notEqual(exports.S2_ACCESS_TOKEN, "ignored");

		const saved = { ...process.env };
		try {
			Object.assign(process.env, exports);
			const s2 = new S2({ ...S2Environment.parse(), accessToken: process.env.S2_ACCESS_TOKEN, retry: { maxAttempts: 1 } });
			const name = basinName("env");
			await s2.basins.create({ basin: name });
			const basin = s2.basin(name);
			await basin.streams.create({ stream: "hello/world" });
			const ack = await basin.stream("hello/world").append(AppendInput.create([AppendRecord.string({ body: "hi" })]));
			assert.equal(ack.end.seqNum, 1);
			const batch = await basin.stream("hello/world").read({ start: { from: { seqNum: 0 } } });
			assert.deepEqual(
				batch.records.map((r) => r.body),
				["hi"],
			);
		} finally {
			for (const k of Object.keys(exports)) {
				if (k in saved) process.env[k] = saved[k];
				else delete process.env[k];
			}
		}
	});
});
