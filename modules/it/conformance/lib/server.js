// Starts the built Millrace server jar as a child process for one test file, and stops it.
//
// The jar comes from MILLRACE_JAR (set by the Maven build) or defaults to
// modules/server/target/millrace.jar. Each server gets a fresh temporary data dir and a free
// port, and is ready once GET /health answers 200. Server output goes to a log file under
// MILLRACE_IT_LOGS (default modules/it/target/it-logs).

import { spawn } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const itModule = resolve(here, "..", "..");

export const jarPath = process.env.MILLRACE_JAR ?? resolve(itModule, "..", "server", "target", "millrace.jar");
const logDir = process.env.MILLRACE_IT_LOGS ?? join(itModule, "target", "it-logs");

/** Asks the OS for a port that is free right now. */
export function freePort() {
	return new Promise((ok, fail) => {
		const srv = createServer();
		srv.unref();
		srv.on("error", fail);
		srv.listen(0, "127.0.0.1", () => {
			const { port } = srv.address();
			srv.close(() => ok(port));
		});
	});
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts `java -jar millrace.jar serve --port P --data-dir D [extraArgs...]` and waits until GET
 * /health is 200. Returns `{ url, port, dataDir, stop() }`; `stop()` kills the process and removes
 * the data dir.
 */
export async function startServer(name = "server", extraArgs = []) {
	if (!existsSync(jarPath)) {
		throw new Error(`server jar not found at ${jarPath}; build it with mvn -B -DskipTests package`);
	}
	mkdirSync(logDir, { recursive: true });
	const dataDir = mkdtempSync(join(tmpdir(), "millrace-conformance-"));
	const port = await freePort();
	const logFile = join(logDir, `${basename(name)}-${port}.log`);
	const log = createWriteStream(logFile);
	const child = spawn(
		"java",
		["-Xmx512m", "-jar", jarPath, "serve", "--host", "127.0.0.1", "--port", String(port), "--data-dir", dataDir, ...extraArgs],
		{ stdio: ["ignore", "pipe", "pipe"] },
	);
	child.stdout.pipe(log);
	child.stderr.pipe(log);
	let exited = null;
	child.on("exit", (code, signal) => {
		exited = { code, signal };
	});
	const url = `http://127.0.0.1:${port}`;
	const deadline = Date.now() + 90_000;
	for (;;) {
		if (exited) {
			throw new Error(`server exited before it was ready (${JSON.stringify(exited)}):\n${tail(logFile)}`);
		}
		try {
			const res = await fetch(`${url}/health`);
			if (res.status === 200) break;
			await res.arrayBuffer();
		} catch {
			// not listening yet
		}
		if (Date.now() > deadline) {
			child.kill("SIGKILL");
			throw new Error(`server did not become ready within 90 s:\n${tail(logFile)}`);
		}
		await sleep(200);
	}
	const stop = async () => {
		if (!exited) {
			const gone = new Promise((r) => child.once("exit", r));
			child.kill("SIGKILL");
			await gone;
		}
		log.end();
		rmSync(dataDir, { recursive: true, force: true });
	};
	return { url, port, dataDir, logFile, stop };
}

function tail(file) {
	try {
		const text = readFileSync(file, "utf8");
		return text.slice(-4000);
	} catch {
		return "(no log)";
	}
}
