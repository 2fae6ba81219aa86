import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startSiteServer } from "../../../test/fixtures/site-server.js";
import { SsrfGuard } from "../ssrf-guard.js";
import { runTool } from "../tool.js";
import { selectParts } from "./part-range.js";
import { ReadFileTool } from "./read-file-tool.js";

const FILES = join(process.cwd(), "test/fixtures/files");
const tool = new ReadFileTool({ roots: [FILES] });
const read = async (path: string, pages?: string, reader: ReadFileTool = tool) =>
  runTool(reader, { path, ...(pages ? { pages } : {}) });
const scratch = mkdtempSync(join(tmpdir(), "drkit-read-file-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("read_file: one bundled file of each format", () => {
  it("pdf: every page under its label, or the pages asked for", async () => {
    const all = await read("museum.pdf");
    expect(all.isError).toBe(false);
    expect(all.content).toBe(
      "File: museum.pdf (pdf, 2 pages)\n\n--- page 1 ---\nHarbor Town Museum annual figures\nPage one. The museum opened on 14 May 1931 in the old customs house.\n\n--- page 2 ---\nPage two. In 2023 the museum welcomed 17935 visitors across 7 exhibitions.",
    );
    const second = await read(join(FILES, "museum.pdf"), "2");
    expect(second.content).not.toContain("Page one");
    expect(second.content).toContain("--- page 2 ---\nPage two.");
  });

  it("docx: paragraphs and the table as a pipe table", async () => {
    const { content } = await read("museum.docx");
    expect(content).toContain("# Harbor Town Museum annual figures");
    expect(content).toContain("The museum opened on 14 May 1931 in the old customs house.");
    expect(content).toContain("| Year | Visitors | Exhibitions |\n| --- | --- | --- |\n| 2021 | 12480 | 4 |");
  });

  it("xlsx: each sheet as a table; csv as a table", async () => {
    const workbook = await read("museum.xlsx");
    expect(workbook.content).toContain("(xlsx, 2 sheets)");
    expect(workbook.content).toContain(
      "--- sheet Visitors ---\n| Year | Visitors | Exhibitions |\n| --- | --- | --- |\n| 2021 | 12480 | 4 |",
    );
    expect(workbook.content).toContain(
      "--- sheet Staff ---\n| Role | Count |\n| --- | --- |\n| Curator | 3 |\n| Guide | 11 |",
    );
    expect((await read("museum.xlsx", "2")).content).not.toContain("Visitors ---");
    expect((await read("museum.csv")).content).toBe(
      "File: museum.csv (csv)\n\n| Year | Visitors | Exhibitions |\n| --- | --- | --- |\n| 2021 | 12480 | 4 |\n| 2022 | 15210 | 6 |\n| 2023 | 17935 | 7 |",
    );
  });

  it("pptx: slides in presentation order", async () => {
    const { content } = await read("museum.pptx");
    expect(content).toBe(
      "File: museum.pptx (pptx, 2 slides)\n\n--- slide 1 ---\nHarbor Town Museum annual figures\nOpened 14 May 1931\n\n--- slide 2 ---\nVisitors in 2023: 17935\nExhibitions in 2023: 7",
    );
  });

  it("txt, md, json and html", async () => {
    expect((await read("museum.txt")).content).toBe(
      "File: museum.txt (text)\n\nHarbor Town Museum annual figures\nThe museum opened on 14 May 1931.",
    );
    expect((await read("museum.md")).content).toContain("| 2023 | 17935 |");
    expect((await read("museum.json")).content).toContain('"opened": "1931-05-14"');
    const html = await read("museum.html");
    expect(html.content).toContain("The museum opened on 14 May 1931 in the old customs house.");
    expect(html.content).not.toContain("<p>");
  });

  it("images and audio are named, not read, without a multimodal model", async () => {
    const image = await read("museum.png");
    expect(image).toMatchObject({ isError: true });
    expect(image.content).toBe("museum.png is an image (image); it cannot be read as text without a multimodal model.");
    expect((await read("museum.wav")).content).toContain("is an audio file (audio)");
  });
});

describe("read_file: limits and failures come back as observations", () => {
  it("refuses paths outside the attachment folders, symlinks out of them included", async () => {
    expect((await read("/etc/passwd")).content).toBe(
      "Error: /etc/passwd is outside the attachment folders read_file may read",
    );
    expect((await read("../../../package.json")).content).toMatch(/outside the attachment folders/);
    const link = join(scratch, "link-out.txt");
    symlinkSync("/etc/hostname", link);
    const scoped = new ReadFileTool({ roots: [scratch] });
    expect((await read(link, undefined, scoped)).content).toMatch(/outside the attachment folders/);
    expect((await read("museum.txt", undefined, new ReadFileTool())).content).toMatch(/none were given/);
    expect((await read("missing.pdf")).content).toBe("Error: no file at missing.pdf");
  });

  it("cuts long files with a note naming the pages to ask for next", async () => {
    const small = new ReadFileTool({ roots: [FILES], maxChars: 150 });
    const { content } = await read("museum.pdf", undefined, small);
    expect(content).toContain("--- page 1 ---");
    expect(content).toMatch(/\[cut at 150 characters\. Ask for pages 2-2 to read on\.\]$/);
  });

  it("a broken file and a bad range are errors the model can act on", async () => {
    writeFileSync(join(scratch, "broken.pdf"), "not a pdf at all");
    const scoped = new ReadFileTool({ roots: [scratch] });
    const broken = await read("broken.pdf", undefined, scoped);
    expect(broken.isError).toBe(true);
    expect(broken.content).toMatch(/^Error: broken\.pdf could not be read as pdf: /);
    expect((await read("museum.pdf", "3")).content).toBe('Error: the file has 2 parts; "3" is past the end');
    expect(selectParts("1,3-4", 5)).toEqual([0, 2, 3]);
    expect(selectParts("x", 5)).toMatch(/is not a page range/);
  });

  it("reads a URL through the SSRF guard, which refuses loopback unless allowed", async () => {
    const site = await startSiteServer({
      "/files/museum.xlsx": {
        contentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        body: readFileSync(join(FILES, "museum.xlsx")),
      },
    });
    try {
      const refused = await read(site.url("/files/museum.xlsx"));
      expect(refused.content).toMatch(/loopback/);
      const allowed = new ReadFileTool({ guard: new SsrfGuard({ allowLoopback: true }) });
      const { content } = await read(site.url("/files/museum.xlsx"), "1", allowed);
      expect(content).toContain("| 2023 | 17935 | 7 |");
      await allowed.close();
    } finally {
      await site.close();
    }
  });
});
