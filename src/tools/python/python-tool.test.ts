import { describe, expect, it } from "vitest";
import { runTool } from "../tool.js";
import { PythonTool } from "./python-tool.js";

const python = new PythonTool({ timeoutMs: 20_000 });
const run = (code: string, tool: PythonTool = python) => runTool(tool, { code }, { timeoutMs: 60_000 });

describe("python tool (Pyodide in a sandboxed process)", () => {
  it("computes: stdout, and the value of the last expression", async () => {
    const { content, isError } = await run(
      "import statistics\nvisitors = [12480, 15210, 17935]\nprint(sum(visitors))\nstatistics.mean(visitors)",
    );
    expect(isError).toBe(false);
    expect(content).toBe("[stdout]\n45625\n[result]\n15208.333333333334");
  });

  it("returns the traceback of an exception as an error observation", async () => {
    const { content, isError } = await run("x = 1\n1 / 0");
    expect(isError).toBe(true);
    expect(content).toMatch(/^\[error\]\nTraceback \(most recent call last\):\n {2}File "<exec>", line 2/);
    expect(content).toMatch(/ZeroDivisionError: division by zero$/);
  });

  it("stops an endless loop at the time limit", async () => {
    const quick = new PythonTool({ timeoutMs: 4_000 });
    const started = Date.now();
    const { content, isError } = await run("while True:\n    pass", quick);
    expect(isError).toBe(true);
    expect(content).toBe("Error: the code ran past 4 s and was stopped");
    expect(Date.now() - started).toBeLessThan(8_000);
  });

  it("cannot read host files, open a socket, reach Node's fs, or see the environment", async () => {
    const passwd = await run("open('/etc/passwd').read()");
    expect(passwd.content).toMatch(/FileNotFoundError: \[Errno 44\] No such file or directory: '\/etc\/passwd'/);
    const socket = await run(
      "import socket\ns = socket.socket()\ns.connect(('1.1.1.1', 80))\ns.send(b'GET / HTTP/1.0\\r\\n\\r\\n')\ns.recv(10)",
    );
    expect(socket.isError).toBe(true);
    expect(socket.content).toMatch(/OSError: \[Errno 23\] Host is unreachable$/);
    const nodeFs = await run(
      "from pyodide.code import run_js\nrun_js(\"import('node:fs').then(m => m.readFileSync('/etc/passwd', 'utf8'))\")",
    );
    expect(nodeFs.isError).toBe(true);
    expect(nodeFs.content).toMatch(/Access to this API has been restricted|ERR_ACCESS_DENIED/);
    const fetchJs = await run("from js import fetch");
    expect(fetchJs.content).toMatch(/ImportError: cannot import name 'fetch'/);
    const environment = await run("import js\njs.process.env.HOME");
    expect(environment.content).not.toContain(process.env.HOME ?? "/root");
  });

  it("stops code that passes the memory cap", async () => {
    const small = new PythonTool({ timeoutMs: 20_000, memoryMiB: 400 });
    const { content } = await run("blocks = []\nwhile True:\n    blocks.append(bytearray(50_000_000))", small);
    expect(content).toBe("Error: the code used more than 400 MiB of memory and was stopped");
  });
});
