// Shared fixtures for the conformance tests: one server per test file, an SDK client pointed at
// it, unique names, a raw HTTP helper for statuses the SDK hides, and error assertions.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before } from "node:test";
import { S2, S2Error } from "@s2-dev/streamstore";
import { startServer } from "./server.js";

/**
 * The server shared by every suite in this process: started by the first suite's `before` hook,
 * stopped by the `after` hooks once all tests have run. Returns a context whose `url`, `token` (the
 * root token the server printed), `s2` and `server` fields are filled in once `before` has run.
 */
const shared = { url: undefined, token: undefined, s2: undefined, server: undefined, starting: undefined };

export function useServer() {
	before(async () => {
		if (!shared.starting) {
			shared.starting = startServer("conformance").then((server) => {
				shared.server = server;
				shared.url = server.url;
				shared.token = server.token;
				shared.s2 = newClient(server.url, server.token);
			});
		}
		await shared.starting;
	});
	after(async () => {
		const server = shared.server;
		shared.server = undefined;
		if (server) await server.stop();
	});
	return shared;
}

/**
 * An SDK client configured the way the S2 docs say to point it at s2-lite (both endpoints = the
 * server), with `token` (default: the shared server's root token) as its access token.
 */
export function newClient(url, token = shared.token) {
	return new S2({
		accessToken: token,
		endpoints: { account: url, basin: url },
		// One attempt: the tests want to see each server answer, not the SDK's retries of it.
		retry: { maxAttempts: 1 },
	});
}

/** A basin name nobody else uses: lowercase letters, digits and dashes, 8-48 bytes. */
export function basinName(prefix = "conf") {
	return `${prefix}-${randomBytes(6).toString("hex")}`;
}

/** Creates a fresh basin (optionally configured) and returns its SDK handle. */
export async function freshBasin(ctx, config, prefix = "conf") {
	const name = basinName(prefix);
	await ctx.s2.basins.create({ basin: name, config });
	return ctx.s2.basin(name);
}

/** Creates a fresh basin and stream in it; returns `{ basin, stream, name }`. */
export async function freshStream(ctx, config, streamName = "events/main") {
	const basin = await freshBasin(ctx);
	await basin.streams.create({ stream: streamName, config });
	return { basin, stream: basin.stream(streamName), name: streamName, basinName: basin.name };
}

/**
 * Plain HTTP against the server, bypassing the SDK, with the root token (an `authorization` in
 * `headers` replaces it). `basin` sets the s2-basin header; `json` sends a JSON body; `body` sends
 * raw bytes/strings with the given headers.
 * Returns `{ status, headers, text, json, bytes }` (json is undefined when the body is not JSON).
 */
export async function http(ctx, method, path, { basin, json, body, headers = {} } = {}) {
	const h = { authorization: `Bearer ${ctx.token}`, ...headers };
	if (basin !== undefined) h["s2-basin"] = basin;
	let payload = body;
	if (json !== undefined) {
		payload = JSON.stringify(json);
		if (!Object.keys(h).some((k) => k.toLowerCase() === "content-type")) h["content-type"] = "application/json";
	}
	const res = await fetch(`${ctx.url}${path}`, { method, headers: h, body: payload });
	const bytes = new Uint8Array(await res.arrayBuffer());
	const text = new TextDecoder().decode(bytes);
	let parsed;
	try {
		parsed = text.length > 0 ? JSON.parse(text) : undefined;
	} catch {
		parsed = undefined;
	}
	return { status: res.status, headers: res.headers, text, json: parsed, bytes };
}

/** Asserts that an HTTP answer is the standard S2 error body with this status and code. */
export function assertErrorBody(res, status, code) {
	assert.equal(res.status, status, `expected ${status} ${code}, got ${res.status}: ${res.text}`);
	assert.match(res.headers.get("content-type") ?? "", /application\/json/);
	assert.equal(res.json?.code, code, `body was ${res.text}`);
	assert.equal(typeof res.json?.message, "string", `body was ${res.text}`);
}

/** Awaits a promise that must reject with an S2Error from the server with this status (and code). */
export async function rejectsWith(promise, status, code) {
	let error;
	try {
		await promise;
	} catch (e) {
		error = e;
	}
	assert.ok(error, `expected the call to fail with ${status} ${code ?? ""}, but it succeeded`);
	assert.ok(error instanceof S2Error, `expected an S2Error, got ${error}`);
	assert.equal(error.status, status, `expected status ${status}, got ${error.status}: ${error.message}`);
	if (code !== undefined) assert.equal(error.code, code, `expected code ${code}, got ${error.code}: ${error.message}`);
	return error;
}

/**
 * Polls `probe` until it returns a truthy value, or fails after `timeoutMs` naming `what`.
 * An exception from `probe` fails at once: only a falsy answer means "not yet".
 */
export async function eventually(what, probe, timeoutMs = 60_000) {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const v = await probe();
		if (v) return v;
		if (Date.now() > deadline) throw new Error(`gave up waiting for: ${what}`);
		await new Promise((r) => setTimeout(r, 250));
	}
}

export const encodeStream = (name) => encodeURIComponent(name);
export const utf8 = (s) => new TextEncoder().encode(s);

/**
 * Follows a resource through an asynchronous deletion from the outside, calling each step in turn
 * until the last one reports the deletion finished. Each step is `{ label, call, classify, last }`
 * where `classify(outcome)` maps `{ ok, value }` / `{ ok: false, error }` to "pending" (the
 * deletion is still under way), "gone" (it has finished) or undefined (a wrong answer). Once any
 * call has seen the deletion finished, no later call may see it pending. Fails after `timeoutMs`.
 * Returns the observed phases, e.g. `["pending", "pending", "gone", "gone"]`.
 */
export async function followDeletion(steps, timeoutMs = 150_000) {
	const phases = [];
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		for (const { label, call, classify, last } of steps) {
			let outcome;
			try {
				outcome = { ok: true, value: await call() };
			} catch (e) {
				outcome = { ok: false, error: e };
			}
			const phase = classify(outcome);
			const described = outcome.ok ? "success" : `${outcome.error.status} ${outcome.error.code}: ${outcome.error.message}`;
			assert.ok(phase, `${label} answered ${described}, which is neither the pending nor the deleted state`);
			if (phase === "pending") {
				assert.ok(!phases.includes("gone"), `${label} answered ${described} after the deletion had already finished`);
			}
			phases.push(phase);
			if (last && phase === "gone") return phases;
		}
		if (Date.now() > deadline) throw new Error(`deletion did not finish within ${timeoutMs} ms`);
		await new Promise((r) => setTimeout(r, 200));
	}
}

/** The call failed with this status and code. */
export const failedWith = (status, code) => (o) => !o.ok && o.error.status === status && o.error.code === code;

/** Classifier: 409 `pendingCode` means pending; whatever `goneTest` accepts means gone. */
export const pendingElse = (pendingCode, goneTest) => (o) =>
	failedWith(409, pendingCode)(o) ? "pending" : goneTest(o) ? "gone" : undefined;
