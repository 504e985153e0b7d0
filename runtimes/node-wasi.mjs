// Runs a WASI preview-1 command module under Node's node:wasi, for Nebula's `node` runtime.
// Usage: node node-wasi.mjs [--dir HOST::GUEST]... [--env NAME=VALUE]... -- MODULE [ARG]...
// The module's stdin, stdout and stderr are this process's; its exit status is this process's.
// It provides the `bench.start` / `bench.end` imports: where $NEBULA_MARKER_FD names a file
// descriptor, the kernel's span is written to it as `start MONO_NS CPU_NS` and `end MONO_NS
// CPU_NS` lines (the protocol of Nebula's native builds), after the end stamp.
import { readFileSync, writeSync } from "node:fs";
import process from "node:process";
import { WASI } from "node:wasi";

const preopens = {};
const env = {};
let i = 2;
for (; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (a === "--") { i++; break; }
  if (a !== "--dir" && a !== "--env") fail(`unknown option ${a}`);
  const v = process.argv[++i];
  if (v === undefined) { fail(`${a} needs a value`); }
  if (a === "--dir") {
    const [host, guest] = v.split("::");
    preopens[guest ?? host] = host;
  } else if (a === "--env") {
    const eq = v.indexOf("=");
    if (eq <= 0) fail(`--env ${v} is not NAME=VALUE`);
    env[v.slice(0, eq)] = v.slice(eq + 1);
  }
}
const module = process.argv[i];
if (module === undefined) fail("no module given");

function fail(msg) {
  process.stderr.write(`node-wasi.mjs: ${msg}\n` +
    "usage: node node-wasi.mjs [--dir HOST::GUEST]... [--env NAME=VALUE]... -- MODULE [ARG]...\n");
  process.exit(126);
}

const fd = /^\d+$/.test(process.env.NEBULA_MARKER_FD ?? "") ? Number(process.env.NEBULA_MARKER_FD) : null;
const cpuNs = () => { const u = process.cpuUsage(); return BigInt(u.user + u.system) * 1000n; };
let cpu0 = 0n, mono0 = 0n;
const bench = {
  // The CPU clock is read outside the monotonic span, as the native guests do.
  start() { cpu0 = cpuNs(); mono0 = process.hrtime.bigint(); },
  end() {
    const mono1 = process.hrtime.bigint();
    const cpu1 = cpuNs();
    if (fd !== null) {
      try { writeSync(fd, `start ${mono0} ${cpu0}\nend ${mono1} ${cpu1}\n`); } catch { /* no reader */ }
    }
  },
};

const wasi = new WASI({
  version: "preview1",
  args: [module, ...process.argv.slice(i + 1)],
  env,
  preopens,
  returnOnExit: true,
});
let instance;
try {
  const compiled = await WebAssembly.compile(readFileSync(module));
  instance = await WebAssembly.instantiate(compiled, { wasi_snapshot_preview1: wasi.wasiImport, bench });
} catch (e) {
  fail(`cannot load ${module}: ${e.message}`);
}
try {
  process.exitCode = wasi.start(instance);
} catch (e) {
  // A trap: report it as `wasmtime run` does (128 + SIGABRT).
  process.stderr.write(`node-wasi.mjs: the module trapped: ${e.message}\n`);
  process.exitCode = 134;
}
