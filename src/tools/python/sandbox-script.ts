/**
 * The program the python sandbox process runs (passed to `node --eval`, so nothing has to be copied next to the
 * build). Before any user code: network entry points of Node (sockets, DNS, fetch, WebSocket) are replaced by
 * functions that throw, and `process.binding` answers only the constants Pyodide asks for. The process itself runs
 * under Node's permission model with read access to the Pyodide package only, no writes, no child processes, no
 * workers, and an empty environment. The code arrives on stdin; one JSON line goes to stdout.
 */
export const SANDBOX_SCRIPT = String.raw`
import dgram from "node:dgram";
import dns from "node:dns";
import fs from "node:fs";
import net from "node:net";
const denied = () => { throw new Error("network access is disabled in the python sandbox"); };
net.Socket.prototype.connect = denied;
net.connect = denied;
net.createConnection = denied;
dgram.Socket.prototype.send = denied;
dgram.Socket.prototype.bind = denied;
for (const name of Object.keys(dns)) if (typeof dns[name] === "function" && name !== "Resolver") dns[name] = denied;
for (const name of Object.keys(dns.promises)) if (typeof dns.promises[name] === "function") dns.promises[name] = denied;
for (const name of ["fetch", "WebSocket", "XMLHttpRequest", "EventSource"]) delete globalThis[name];
process.binding = (name) => { if (name === "constants") return { fs: fs.constants }; throw new Error("denied"); };
const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const code = Buffer.concat(chunks).toString("utf8");
const stdout = [];
const stderr = [];
let result = null;
let error = null;
try {
  const { loadPyodide } = await import(process.argv[1]);
  const pyodide = await loadPyodide({ stdout: (line) => stdout.push(line), stderr: (line) => stderr.push(line) });
  const value = await pyodide.runPythonAsync(code);
  if (value !== undefined && value !== null) result = pyodide.pyimport("builtins").repr(value);
} catch (caught) {
  const text = String(caught && caught.message ? caught.message : caught);
  const lines = text.trimEnd().split("\n");
  const start = lines.findIndex((line) => line.includes('File "<exec>"'));
  error = (start >= 0 ? ["Traceback (most recent call last):", ...lines.slice(start)] : lines).join("\n");
}
process.stdout.write(JSON.stringify({ stdout: stdout.join("\n"), stderr: stderr.join("\n"), result, error }) + "\n");
process.exit(0);
`;
