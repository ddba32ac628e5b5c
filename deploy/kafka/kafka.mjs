#!/usr/bin/env node
/**
 * A local single-node Apache Kafka broker (KRaft) for development and tests, with no Docker.
 *
 *   node deploy/kafka/kafka.mjs start|stop|status      (npm run kafka:start / kafka:stop)
 *
 * The first start fetches the Kafka jars from Maven Central into the cache (deploy/kafka/pom.xml);
 * later starts reuse them. Everything is configurable by environment (see `readConfig`), so a test
 * can run its own broker on other ports with a throw-away data directory. Plain Node ESM: it runs
 * before anything is built, and it must not import kafkajs (only libs/kafka does).
 */
import { Buffer } from "node:buffer";
import { spawn, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { connect } from "node:net";
import { dirname, join, resolve } from "node:path";
import process from "node:process";
import { clearTimeout, setTimeout } from "node:timers";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, "../..");
const kafkaVersion = "4.1.2";

/** Reads an integer variable, or exits naming the variable when it is not one. */
function envInt(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) fail(`${name} must be a positive integer, got "${raw}"`);
  return value;
}

/** Where the broker listens and keeps its files, from the environment (README.md lists the variables). */
function readConfig() {
  const port = envInt("KAFKA_PORT", 19092);
  const home = resolve(process.env.MIRAGE_KAFKA_HOME || join(repoRoot, ".kafka"));
  const dataDir = resolve(process.env.KAFKA_DATA_DIR || join(home, "data"));
  return {
    host: process.env.KAFKA_HOST || "127.0.0.1",
    port,
    controllerPort: envInt("KAFKA_CONTROLLER_PORT", port + 1),
    /** The jar cache: <home>/libs, fetched once by Maven. */
    home,
    libsDir: join(home, "libs"),
    dataDir,
    logDirs: join(dataDir, "kraft"),
    propsFile: join(dataDir, "server.properties"),
    pidFile: join(dataDir, "kafka.pid"),
    outFile: join(dataDir, "kafka.out"),
    logFile: join(dataDir, "kafka.log"),
    heapOpts: (process.env.KAFKA_HEAP_OPTS || "-Xms256m -Xmx512m").split(/\s+/).filter(Boolean),
    messageMaxBytes: envInt("KAFKA_MESSAGE_MAX_BYTES", 32 * 1024 * 1024),
    startTimeoutMs: envInt("KAFKA_START_TIMEOUT_MS", 120_000),
    stopTimeoutMs: envInt("KAFKA_STOP_TIMEOUT_MS", 30_000),
    java: process.env.JAVA || (process.env.JAVA_HOME ? join(process.env.JAVA_HOME, "bin", "java") : "java"),
    mvn: process.env.MVN || "mvn",
    /** When set, a watchdog stops the broker once this process is gone (tests set it). */
    ownerPid: process.env.KAFKA_OWNER_PID ? envInt("KAFKA_OWNER_PID", 0) : undefined,
    /** "1": the data directory is throw-away; the watchdog deletes it with the broker. */
    tempData: process.env.KAFKA_TEMP_DATA === "1",
  };
}

function say(line) {
  process.stdout.write(`kafka: ${line}\n`);
}

function fail(line) {
  process.stderr.write(`kafka: ${line}\n`);
  process.exit(1);
}

const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

// ---------------------------------------------------------------------------------------------
// The jars: fetched once by Maven, keyed by the pom's hash so that a version bump refetches.

function pomHash() {
  return createHash("sha256")
    .update(readFileSync(join(here, "pom.xml")))
    .digest("hex");
}

function jarsReady(config, hash) {
  const stamp = join(config.home, "libs.sha256");
  return existsSync(config.libsDir) && existsSync(stamp) && readFileSync(stamp, "utf8").trim() === hash;
}

function ensureJars(config) {
  const hash = pomHash();
  if (jarsReady(config, hash)) return;
  mkdirSync(config.home, { recursive: true });
  // A private folder per fetch, renamed into place: two starts racing never see half a cache.
  const staging = join(config.home, `libs.${process.pid}.tmp`);
  rmSync(staging, { recursive: true, force: true });
  say(`fetching Apache Kafka ${kafkaVersion} from Maven Central into ${config.libsDir} (once; ~30-60 s)`);
  const started = Date.now();
  // Output is kept for a failure: with -q a good run prints only stray colour resets.
  const result = spawnSync(
    config.mvn,
    [
      "-q",
      "-B",
      "-Dstyle.color=never",
      "-f",
      join(here, "pom.xml"),
      "dependency:copy-dependencies",
      `-DoutputDirectory=${staging}`,
    ],
    { stdio: ["ignore", "pipe", "pipe"], encoding: "utf8", maxBuffer: 16 * 1024 * 1024 },
  );
  if (result.error || result.status !== 0) rmSync(staging, { recursive: true, force: true });
  if (result.error) {
    fail(`cannot run Maven (${config.mvn}): ${result.error.message}; install Maven or set MVN`);
  }
  if (result.status !== 0) {
    fail(`Maven could not fetch the Kafka jars (exit ${result.status}):\n${result.stdout}${result.stderr}`);
  }
  const jars = readdirSync(staging).filter((name) => name.endsWith(".jar"));
  if (!jars.some((name) => name.startsWith(`kafka_2.13-${kafkaVersion}`))) {
    fail(`Maven finished but ${staging} holds no kafka_2.13-${kafkaVersion}.jar`);
  }
  if (jarsReady(config, hash)) {
    rmSync(staging, { recursive: true, force: true });
  } else {
    rmSync(config.libsDir, { recursive: true, force: true });
    renameSync(staging, config.libsDir);
    writeFileSync(join(config.home, "libs.sha256"), `${hash}\n`);
  }
  say(`fetched ${jars.length} jars in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

function classPath(config) {
  return `${config.libsDir}/*`;
}

// ---------------------------------------------------------------------------------------------
// The broker's properties: KRaft, one node that is both broker and controller.

function serverProperties(config) {
  const lines = {
    "process.roles": "broker,controller",
    "node.id": "1",
    "controller.quorum.voters": `1@${config.host}:${config.controllerPort}`,
    listeners: `PLAINTEXT://${config.host}:${config.port},CONTROLLER://${config.host}:${config.controllerPort}`,
    "advertised.listeners": `PLAINTEXT://${config.host}:${config.port}`,
    "controller.listener.names": "CONTROLLER",
    "inter.broker.listener.name": "PLAINTEXT",
    "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
    "log.dirs": config.logDirs,
    // One node: every internal topic has one replica, and one in-sync replica is enough.
    "offsets.topic.replication.factor": "1",
    "transaction.state.log.replication.factor": "1",
    "transaction.state.log.min.isr": "1",
    "share.coordinator.state.topic.replication.factor": "1",
    "share.coordinator.state.topic.min.isr": "1",
    "min.insync.replicas": "1",
    "default.replication.factor": "1",
    // Tests create and join groups all the time; the default 3 s delay would slow every join.
    "group.initial.rebalance.delay.ms": "0",
    // One partition for committed offsets: created in a moment on first use (50 take seconds).
    "offsets.topic.num.partitions": "1",
    "num.partitions": "3",
    // Upload events may carry an image inline.
    "message.max.bytes": String(config.messageMaxBytes),
    "log.retention.hours": "24",
  };
  return `# Written by deploy/kafka/kafka.mjs on every start; edit the script, not this file.\n${Object.entries(
    lines,
  )
    .map(([key, value]) => `${key}=${value}`)
    .join("\n")}\n`;
}

function runStorageTool(config, args) {
  const result = spawnSync(
    config.java,
    [...javaLogOpts(config), "-cp", classPath(config), "kafka.tools.StorageTool", ...args],
    {
      encoding: "utf8",
    },
  );
  if (result.error) fail(`cannot run Java (${config.java}): ${result.error.message}; Kafka 4 needs Java 17+`);
  if (result.status !== 0) {
    fail(`StorageTool ${args[0]} failed (exit ${result.status}):\n${result.stdout}${result.stderr}`);
  }
  return result.stdout.trim();
}

function javaLogOpts(config) {
  return [
    `-Dlog4j2.configurationFile=${join(here, "log4j2.xml")}`,
    `-Dmirage.kafka.logDir=${config.dataDir}`,
  ];
}

/**
 * A cluster id as `StorageTool random-uuid` prints it (16 random bytes, base64url, never starting
 * with "-"), made here to save a JVM start (seconds on a busy machine).
 */
function randomClusterId() {
  for (;;) {
    const id = randomBytes(16).toString("base64url");
    if (!id.startsWith("-")) return id;
  }
}

/** Formats the KRaft storage once; a formatted directory keeps its cluster id across restarts. */
function ensureFormatted(config) {
  mkdirSync(config.dataDir, { recursive: true });
  writeFileSync(config.propsFile, serverProperties(config));
  if (existsSync(join(config.logDirs, "meta.properties"))) return;
  const clusterId = randomClusterId();
  // With controller.quorum.voters set (a static quorum) Kafka 4.1 formats without --standalone.
  runStorageTool(config, ["format", "-t", clusterId, "-c", config.propsFile]);
  say(`formatted ${config.logDirs} (cluster ${clusterId})`);
}

// ---------------------------------------------------------------------------------------------
// Process bookkeeping.

function readPid(config) {
  if (!existsSync(config.pidFile)) return undefined;
  const pid = Number(readFileSync(config.pidFile, "utf8").trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === "EPERM";
  }
}

/** True when `pid` is the broker of this data directory (a recycled pid must never be killed). */
function isOurBroker(config, pid) {
  if (!isAlive(pid)) return false;
  const cmdline = `/proc/${pid}/cmdline`;
  if (!existsSync(cmdline)) return true; // no /proc (macOS): trust the pid file
  const args = readFileSync(cmdline, "utf8").split("\0");
  return args.includes("kafka.Kafka") && args.includes(config.propsFile);
}

// ---------------------------------------------------------------------------------------------
// Readiness: the port answers, a Metadata request lists a broker and a controller, and the group
// coordinator is up (so the first consumer group joins at once instead of retrying "coordinator
// not available" while __consumer_offsets is created).

/**
 * Sends one request (header v1) and resolves with the response body after the correlation id.
 * Written against the wire format so this script needs no Kafka client library.
 */
function kafkaRequest(host, port, apiKey, apiVersion, body, timeoutMs) {
  return new Promise((resolvePromise, reject) => {
    const clientId = Buffer.from("mirage-kafka-mjs");
    const header = Buffer.alloc(2 + 2 + 4 + 2);
    header.writeInt16BE(apiKey, 0);
    header.writeInt16BE(apiVersion, 2);
    header.writeInt32BE(1, 4); // correlation id
    header.writeInt16BE(clientId.length, 8);
    const size = Buffer.alloc(4);
    size.writeInt32BE(header.length + clientId.length + body.length, 0);

    const socket = connect({ host, port });
    let received = Buffer.alloc(0);
    const timer = setTimeout(() => socket.destroy(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
    socket.on("connect", () => socket.write(Buffer.concat([size, header, clientId, body])));
    socket.on("data", (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 4 || received.length < 4 + received.readInt32BE(0)) return;
      clearTimeout(timer);
      socket.end();
      resolvePromise(received.subarray(8, 4 + received.readInt32BE(0)));
    });
    socket.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** Metadata v1 with no topics: the brokers (node ids) and the controller id. */
async function metadata(host, port, timeoutMs) {
  const noTopics = Buffer.alloc(4); // an empty array; -1 would mean all topics
  const body = await kafkaRequest(host, port, 3, 1, noTopics, timeoutMs);
  let at = 0;
  const brokerCount = body.readInt32BE(at);
  at += 4;
  const brokers = [];
  for (let index = 0; index < brokerCount; index += 1) {
    brokers.push(body.readInt32BE(at));
    at += 4;
    at += 2 + body.readInt16BE(at); // host
    at += 4; // port
    at += 2 + Math.max(body.readInt16BE(at), 0); // rack (nullable)
  }
  return { brokers, controllerId: body.readInt32BE(at) };
}

/** FindCoordinator v0 for a probe group: 0 once the group coordinator is available. */
async function findCoordinatorError(host, port, timeoutMs) {
  const group = Buffer.from("mirage-readiness-probe");
  const request = Buffer.alloc(2 + group.length);
  request.writeInt16BE(group.length, 0);
  group.copy(request, 2);
  const body = await kafkaRequest(host, port, 10, 0, request, timeoutMs);
  return body.readInt16BE(0);
}

async function isReady(config) {
  try {
    const answer = await metadata(config.host, config.port, 2000);
    if (answer.brokers.length === 0 || answer.controllerId < 0) return false;
    return (await findCoordinatorError(config.host, config.port, 2000)) === 0;
  } catch {
    return false;
  }
}

function tail(file, lines = 30) {
  if (!existsSync(file)) return "";
  return readFileSync(file, "utf8").split("\n").slice(-lines).join("\n");
}

// ---------------------------------------------------------------------------------------------
// Commands.

async function start(config) {
  const where = `${config.host}:${config.port}`;
  const running = readPid(config);
  if (running !== undefined && isOurBroker(config, running)) {
    if (await waitReady(config, running)) {
      say(`already running on ${where} (pid ${running}, data ${config.dataDir})`);
      return;
    }
    fail(`pid ${running} runs but ${where} does not answer; see ${config.logFile}`);
  }
  if (await isReady(config)) {
    say(`a Kafka broker already answers on ${where} (not started from ${config.dataDir}); leaving it alone`);
    return;
  }
  const javaCheck = spawnSync(config.java, ["-version"], { encoding: "utf8" });
  if (javaCheck.error || javaCheck.status !== 0)
    fail(`cannot run Java (${config.java}); Kafka 4 needs Java 17+`);

  ensureJars(config);
  ensureFormatted(config);

  const started = Date.now();
  const out = openSync(config.outFile, "a");
  const child = spawn(
    config.java,
    [...config.heapOpts, ...javaLogOpts(config), "-cp", classPath(config), "kafka.Kafka", config.propsFile],
    { detached: true, stdio: ["ignore", out, out] },
  );
  closeSync(out);
  child.unref();
  writeFileSync(config.pidFile, `${child.pid}\n`);
  if (config.ownerPid !== undefined) startWatchdog();

  if (!(await waitReady(config, child.pid))) {
    const alive = isAlive(child.pid);
    if (alive) process.kill(child.pid, "SIGKILL");
    rmSync(config.pidFile, { force: true });
    fail(
      `${alive ? `not ready after ${config.startTimeoutMs} ms` : "the broker exited during start"}; ` +
        `last lines of ${config.logFile}:\n${tail(config.logFile)}\n${tail(config.outFile)}`,
    );
  }
  say(
    `Kafka ${kafkaVersion} ready on ${where} in ${((Date.now() - started) / 1000).toFixed(1)} s ` +
      `(pid ${child.pid}, data ${config.dataDir}, log ${config.logFile})`,
  );
}

/** Polls until the broker answers a Metadata request; false if it exits or the time runs out. */
async function waitReady(config, pid) {
  const deadline = Date.now() + config.startTimeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return false;
    if (await isReady(config)) return true;
    await sleep(250);
  }
  return false;
}

async function stopBroker(config, pid) {
  process.kill(pid, "SIGTERM");
  const deadline = Date.now() + config.stopTimeoutMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) {
    process.kill(pid, "SIGKILL");
    while (isAlive(pid)) await sleep(50);
    return false;
  }
  return true;
}

async function stop(config) {
  const pid = readPid(config);
  if (pid === undefined || !isOurBroker(config, pid)) {
    rmSync(config.pidFile, { force: true });
    say(`not running (no broker of ${config.dataDir})`);
    return;
  }
  const started = Date.now();
  const graceful = await stopBroker(config, pid);
  rmSync(config.pidFile, { force: true });
  say(
    `stopped pid ${pid} in ${((Date.now() - started) / 1000).toFixed(1)} s` +
      (graceful ? "" : ` (killed: no clean shutdown in ${config.stopTimeoutMs} ms)`),
  );
}

async function status(config) {
  const pid = readPid(config);
  const where = `${config.host}:${config.port}`;
  if (pid !== undefined && isOurBroker(config, pid)) {
    const ready = await isReady(config);
    say(
      `${ready ? "running and ready" : "running, not answering yet"} on ${where} (pid ${pid}, data ${config.dataDir})`,
    );
    process.exitCode = ready ? 0 : 1;
    return;
  }
  if (await isReady(config)) {
    say(`a Kafka broker answers on ${where}, not started from ${config.dataDir}`);
    return;
  }
  say(`not running on ${where}`);
  process.exitCode = 3;
}

/** Starts `watch` detached: it outlives this script and stops the broker when the owner exits. */
function startWatchdog() {
  const watchdog = spawn(process.execPath, [fileURLToPath(import.meta.url), "watch"], {
    detached: true,
    stdio: "ignore",
    env: process.env,
  });
  watchdog.unref();
}

/** The watchdog loop: ends with the broker, or stops the broker when the owner process is gone. */
async function watch(config) {
  const pid = readPid(config);
  if (pid === undefined || config.ownerPid === undefined) return;
  while (isOurBroker(config, pid)) {
    if (!isAlive(config.ownerPid)) {
      await stopBroker(config, pid);
      rmSync(config.pidFile, { force: true });
      if (config.tempData) rmSync(config.dataDir, { recursive: true, force: true });
      return;
    }
    await sleep(1000);
  }
}

const commands = { start, stop, status, watch };
const command = process.argv[2];
if (!Object.hasOwn(commands, command ?? "")) {
  fail("usage: node deploy/kafka/kafka.mjs start|stop|status");
}
await commands[command](readConfig());
