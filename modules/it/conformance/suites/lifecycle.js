// Data lifecycle through the S2 TypeScript SDK (issue 9, docs/adr/0006): records past the stream's
// retention age are no longer readable, a read from before them starts at the first retained
// record (416 at the tail once none is left), and the tail never moves back.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AppendInput, AppendRecord, RangeNotSatisfiableError, S2Error } from "@s2-dev/streamstore";
import { eventually, freshStream, useServer } from "../lib/s2.js";

const ctx = useServer();

const str = (body) => AppendRecord.string({ body });
const input = (records) => AppendInput.create(records);
const fromStart = { start: { from: { seqNum: 0 } } };

describe("retention", () => {
	it("hides records older than the retention age and keeps numbering after them", async () => {
		const s = await freshStream(ctx, { retentionPolicy: { ageSecs: 2 } });
		await s.stream.append(input([str("a"), str("b")]));
		const fresh = await s.stream.read(fromStart);
		assert.deepEqual(
			fresh.records.map((r) => r.body),
			["a", "b"],
		);

		const expired = await eventually("both records to expire", async () => {
			try {
				await s.stream.read(fromStart);
				return false;
			} catch (e) {
				if (e instanceof S2Error && e.status === 416) return e;
				throw e;
			}
		});
		assert.ok(expired instanceof RangeNotSatisfiableError, `got ${expired.constructor.name}`);
		assert.equal(expired.tail.seqNum, 2, "expiry never moves the tail");

		await s.stream.append(input([str("c")]));
		const after = await s.stream.read(fromStart);
		assert.deepEqual(
			after.records.map((r) => [r.seqNum, r.body]),
			[[2, "c"]],
		);
	});

	it("keeps records of a stream with infinite retention", async () => {
		const s = await freshStream(ctx, { retentionPolicy: { infinite: {} } });
		await s.stream.append(input([str("kept")]));
		await new Promise((r) => setTimeout(r, 1500));
		const batch = await s.stream.read(fromStart);
		assert.deepEqual(
			batch.records.map((r) => r.body),
			["kept"],
		);
	});
});
