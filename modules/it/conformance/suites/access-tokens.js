// Access tokens and enforced authentication (spec sections 2.2 and 4.3) through the S2 TypeScript
// SDK, with raw HTTP where the SDK validates client-side or hides the status.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { AppendInput, AppendRecord } from "@s2-dev/streamstore";
import { assertErrorBody, basinName, eventually, freshBasin, http, newClient, rejectsWith, useServer } from "../lib/s2.js";

const ctx = useServer();

const tokenId = (prefix = "tok") => `${prefix}-${randomBytes(6).toString("hex")}`;
const str = (body) => AppendRecord.string({ body });

describe("authentication", () => {
	it("refuses requests without a valid bearer token with 401 authn, and serves /health without one", async () => {
		assertErrorBody(await http(ctx, "GET", "/v1/basins", { headers: { authorization: "" } }), 401, "authn");
		assertErrorBody(await http(ctx, "GET", "/v1/basins", { headers: { authorization: "Bearer ignored" } }), 401, "authn");
		assertErrorBody(await http(ctx, "GET", "/v1/basins", { headers: { authorization: "Basic dTpw" } }), 401, "authn");
		assertErrorBody(
			await http(ctx, "GET", "/v1/basins", { headers: { authorization: `Bearer mr1.${"A".repeat(8)}.${"B".repeat(43)}` } }),
			401,
			"authn",
		);
		await rejectsWith(newClient(ctx.url, "not-a-token").basins.list(), 401, "authn");
		const health = await fetch(`${ctx.url}/health`);
		assert.equal(health.status, 200);
	});
});

describe("issuing, listing and revoking access tokens", () => {
	it("issues a token, lists it with its scope, and revokes it", async () => {
		const id = tokenId("list");
		const expiresAt = new Date(Date.now() + 3600_000);
		const issued = await ctx.s2.accessTokens.issue({
			id,
			expiresAt,
			scope: {
				basins: { prefix: "team-" },
				streams: { exact: "audit" },
				opGroups: { stream: { read: true } },
				ops: ["list-basins"],
			},
		});
		assert.equal(typeof issued.accessToken, "string");
		assert.ok(issued.accessToken.length > 40);

		const page = await ctx.s2.accessTokens.list({ prefix: id });
		assert.equal(page.hasMore, false);
		assert.deepEqual(
			page.accessTokens.map((t) => t.id),
			[id],
		);
		const info = page.accessTokens[0];
		assert.equal(info.expiresAt.getTime(), expiresAt.getTime());
		assert.equal(info.autoPrefixStreams, false);
		assert.deepEqual(info.scope.basins, { prefix: "team-" });
		assert.deepEqual(info.scope.streams, { exact: "audit" });
		assert.equal(info.scope.opGroups.stream.read, true);
		assert.deepEqual(info.scope.ops, ["list-basins"]);
		assert.ok(!JSON.stringify(page).includes(issued.accessToken), "a listing never shows a secret");

		await ctx.s2.accessTokens.revoke({ id });
		assert.deepEqual((await ctx.s2.accessTokens.list({ prefix: id })).accessTokens, []);
	});

	it("pages tokens with prefix, start_after, limit and has_more", async () => {
		const p = tokenId("page");
		for (const s of ["a", "b", "c"]) {
			await ctx.s2.accessTokens.issue({ id: `${p}-${s}`, scope: { ops: ["read"] } });
		}
		const first = await ctx.s2.accessTokens.list({ prefix: p, limit: 2 });
		assert.deepEqual(
			first.accessTokens.map((t) => t.id),
			[`${p}-a`, `${p}-b`],
		);
		assert.equal(first.hasMore, true);
		const rest = await ctx.s2.accessTokens.list({ prefix: p, startAfter: `${p}-b` });
		assert.deepEqual(
			rest.accessTokens.map((t) => t.id),
			[`${p}-c`],
		);
		assert.equal(rest.hasMore, false);
	});

	it("answers 409 for an existing id, 404 for revoking an unknown one, 422 for invalid scopes and expiries", async () => {
		const id = tokenId("dup");
		await ctx.s2.accessTokens.issue({ id, scope: { ops: ["read"] } });
		await rejectsWith(ctx.s2.accessTokens.issue({ id, scope: { ops: ["append"] } }), 409, "resource_already_exists");
		await rejectsWith(ctx.s2.accessTokens.revoke({ id: tokenId("missing") }), 404, "access_token_not_found");
		await rejectsWith(ctx.s2.accessTokens.issue({ id: tokenId(), scope: {} }), 422, "invalid");
		await rejectsWith(
			ctx.s2.accessTokens.issue({ id: tokenId(), scope: { ops: ["read"] }, expiresAt: new Date(Date.now() - 60_000) }),
			422,
			"invalid",
		);
		await rejectsWith(
			ctx.s2.accessTokens.issue({ id: tokenId(), autoPrefixStreams: true, scope: { streams: { exact: "x" }, ops: ["read"] } }),
			422,
			"invalid",
		);
		assertErrorBody(
			await http(ctx, "POST", "/v1/access-tokens", { json: { id: "a".repeat(97), scope: { ops: ["read"] } } }),
			422,
			"invalid",
		);
		assertErrorBody(await http(ctx, "POST", "/v1/access-tokens", { json: { id: "", scope: { ops: ["read"] } } }), 422, "invalid");
		assertErrorBody(
			await http(ctx, "POST", "/v1/access-tokens", { json: { id: tokenId(), scope: { ops: ["teleport"] } } }),
			400,
			"bad_json",
		);
		assertErrorBody(
			await http(ctx, "POST", "/v1/access-tokens", { json: { id: tokenId(), scope: { ops: [""] } } }),
			400,
			"bad_json",
		);
		assertErrorBody(
			await http(ctx, "POST", "/v1/access-tokens", { json: { id: tokenId(), scope: { basins: { exact: "a", prefix: "b" }, ops: ["read"] } } }),
			400,
			"bad_json",
		);
		assertErrorBody(
			await http(ctx, "POST", "/v1/access-tokens", { json: { id: tokenId(), expires_at: "soon", scope: { ops: ["read"] } } }),
			400,
			"bad_json",
		);
		assertErrorBody(await http(ctx, "DELETE", `/v1/access-tokens/${"a".repeat(97)}`), 400, "bad_path");
	});
});

describe("tokens in use", () => {
	it("a client with an issued token can do what its scope allows and gets 403 permission_denied outside it", async () => {
		const basin = await freshBasin(ctx);
		const other = await freshBasin(ctx);
		await basin.streams.create({ stream: "logs/app" });
		await basin.streams.create({ stream: "secret" });
		await other.streams.create({ stream: "logs/app" });
		const { accessToken } = await ctx.s2.accessTokens.issue({
			id: tokenId("scoped"),
			scope: {
				basins: { exact: basin.name },
				streams: { prefix: "logs/" },
				opGroups: { stream: { read: true, write: true } },
				ops: ["list-streams"],
			},
		});
		const s2 = newClient(ctx.url, accessToken);
		const mine = s2.basin(basin.name).stream("logs/app");
		const ack = await mine.append(AppendInput.create([str("hello")]));
		assert.equal(ack.end.seqNum, 1);
		const batch = await mine.read({ start: { from: { seqNum: 0 } } });
		assert.deepEqual(
			batch.records.map((r) => r.body),
			["hello"],
		);
		const listed = await s2.basin(basin.name).streams.list();
		assert.deepEqual(
			listed.streams.map((s) => s.name),
			["logs/app"],
		);

		await rejectsWith(s2.basin(basin.name).stream("secret").append(AppendInput.create([str("x")])), 403, "permission_denied");
		await rejectsWith(s2.basin(other.name).stream("logs/app").read({ start: { from: { seqNum: 0 } } }), 403, "permission_denied");
		await rejectsWith(s2.basin(basin.name).streams.create({ stream: "logs/new" }), 403, "permission_denied");
		await rejectsWith(s2.basins.create({ basin: basinName() }), 403, "permission_denied");
		await rejectsWith(s2.basins.list(), 403, "permission_denied");
		await rejectsWith(s2.accessTokens.list(), 403, "permission_denied");
	});

	it("lists only the basins inside the token's basin set", async () => {
		const prefix = `scope${randomBytes(3).toString("hex")}`;
		for (const s of ["a", "b"]) await ctx.s2.basins.create({ basin: `${prefix}-${s}-basin` });
		await ctx.s2.basins.create({ basin: `x${prefix}-other` });
		const { accessToken } = await ctx.s2.accessTokens.issue({
			id: tokenId("lister"),
			scope: { basins: { prefix: `${prefix}-` }, ops: ["list-basins"] },
		});
		const page = await newClient(ctx.url, accessToken).basins.list();
		assert.deepEqual(
			page.basins.map((b) => b.name),
			[`${prefix}-a-basin`, `${prefix}-b-basin`],
		);
	});

	it("a revoked token is refused with 401 authn", async () => {
		const basin = await freshBasin(ctx);
		const id = tokenId("revoked");
		const { accessToken } = await ctx.s2.accessTokens.issue({
			id,
			scope: { basins: { prefix: "" }, streams: { prefix: "" }, opGroups: { basin: { read: true } } },
		});
		const s2 = newClient(ctx.url, accessToken);
		await s2.basin(basin.name).streams.list();
		await ctx.s2.accessTokens.revoke({ id });
		await rejectsWith(s2.basin(basin.name).streams.list(), 401, "authn");
	});

	it("an expired token is refused with 401 authn", async () => {
		const { accessToken } = await ctx.s2.accessTokens.issue({
			id: tokenId("expiring"),
			expiresAt: new Date(Date.now() + 2000),
			scope: { basins: { prefix: "" }, ops: ["list-basins"] },
		});
		const s2 = newClient(ctx.url, accessToken);
		await eventually("the token to expire", async () => {
			try {
				await s2.basins.list();
				return false;
			} catch (e) {
				assert.equal(e.status, 401, `expected 401 once expired, got ${e.status} ${e.code}`);
				assert.equal(e.code, "authn");
				return true;
			}
		}, 30_000);
	});

	it("a token can issue narrower tokens only: more operations, resources or a later expiry are 403 permission_denied", async () => {
		const expiresAt = new Date(Date.now() + 600_000);
		const { accessToken } = await ctx.s2.accessTokens.issue({
			id: tokenId("parent"),
			expiresAt,
			scope: {
				basins: { prefix: "team-" },
				accessTokens: { prefix: "kid-" },
				opGroups: { stream: { read: true } },
				ops: ["issue-access-token", "list-access-tokens", "revoke-access-token"],
			},
		});
		const parent = newClient(ctx.url, accessToken);
		const kid = tokenId("kid");
		await parent.accessTokens.issue({ id: kid, scope: { basins: { exact: "team-a-basin" }, ops: ["read"] } });
		const listed = await parent.accessTokens.list();
		assert.deepEqual(
			listed.accessTokens.map((t) => t.id),
			[kid],
		);
		assert.equal(listed.accessTokens[0].expiresAt.getTime(), expiresAt.getTime(), "a child inherits its issuer's expiry");

		await rejectsWith(parent.accessTokens.issue({ id: tokenId("kid"), scope: { ops: ["append"] } }), 403, "permission_denied");
		await rejectsWith(parent.accessTokens.issue({ id: tokenId("kid"), scope: { basins: { prefix: "" }, ops: ["read"] } }), 403, "permission_denied");
		await rejectsWith(
			parent.accessTokens.issue({ id: tokenId("kid"), expiresAt: new Date(expiresAt.getTime() + 60_000), scope: { ops: ["read"] } }),
			403,
			"permission_denied",
		);
		await rejectsWith(parent.accessTokens.issue({ id: tokenId("other"), scope: { ops: ["read"] } }), 403, "permission_denied");
		await rejectsWith(parent.accessTokens.revoke({ id: tokenId("other") }), 403, "permission_denied");
		await parent.accessTokens.revoke({ id: kid });
	});

	it("auto_prefix_streams prefixes stream names in requests and strips the prefix in listings", async () => {
		const basin = await freshBasin(ctx);
		await basin.streams.create({ stream: "outside" });
		const { accessToken } = await ctx.s2.accessTokens.issue({
			id: tokenId("tenant"),
			autoPrefixStreams: true,
			scope: {
				basins: { exact: basin.name },
				streams: { prefix: "tenant-a/" },
				opGroups: { basin: { read: true, write: true }, stream: { read: true, write: true } },
			},
		});
		const tenant = newClient(ctx.url, accessToken).basin(basin.name);
		const created = await tenant.streams.create({ stream: "events" });
		assert.equal(created.name, "events");
		await tenant.stream("events").append(AppendInput.create([str("one")]));
		const batch = await tenant.stream("events").read({ start: { from: { seqNum: 0 } } });
		assert.deepEqual(
			batch.records.map((r) => r.body),
			["one"],
		);
		assert.deepEqual(
			(await tenant.streams.list()).streams.map((s) => s.name),
			["events"],
		);
		assert.deepEqual(
			(await basin.streams.list()).streams.map((s) => s.name).sort(),
			["outside", "tenant-a/events"],
		);
		const viaRoot = await basin.stream("tenant-a/events").read({ start: { from: { seqNum: 0 } } });
		assert.deepEqual(
			viaRoot.records.map((r) => r.body),
			["one"],
		);
	});
});
