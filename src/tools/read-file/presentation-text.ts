/**
 * The text of a pptx, slide by slide in presentation order: the package is opened with JSZip, the slide order read
 * from `ppt/presentation.xml` and its relationships, and each slide's paragraphs (`a:p`, runs `a:t`) read with
 * linkedom's XML parser.
 */
import JSZip from "jszip";
import { DOMParser } from "linkedom";
import type { DocumentPart } from "./document-text.js";

type XmlDocument = ReturnType<DOMParser["parseFromString"]>;

async function xml(archive: JSZip, path: string): Promise<XmlDocument | undefined> {
  const file = archive.file(path);
  return file ? new DOMParser().parseFromString(await file.async("string"), "text/xml") : undefined;
}

/** Slide part paths in the order of `p:sldIdLst`; the numbered slide files when the list cannot be read. */
async function slidePaths(archive: JSZip): Promise<string[]> {
  const presentation = await xml(archive, "ppt/presentation.xml");
  const relationships = await xml(archive, "ppt/_rels/presentation.xml.rels");
  const targets = new Map<string, string>();
  for (const relationship of [...(relationships?.getElementsByTagName("Relationship") ?? [])])
    targets.set(relationship.getAttribute("Id") ?? "", relationship.getAttribute("Target") ?? "");
  const ordered = [...(presentation?.getElementsByTagName("p:sldId") ?? [])]
    .map((slide) => targets.get(slide.getAttribute("r:id") ?? ""))
    .filter((target): target is string => Boolean(target))
    .map((target) => `ppt/${target.replace(/^\//, "").replace(/^ppt\//, "")}`);
  if (ordered.length > 0) return ordered;
  const number = (path: string) => Number(/(\d+)\.xml$/.exec(path)?.[1] ?? 0);
  return Object.keys(archive.files)
    .filter((path) => /^ppt\/slides\/slide\d+\.xml$/.test(path))
    .sort((a, b) => number(a) - number(b));
}

export async function presentationSlides(bytes: Uint8Array): Promise<DocumentPart[]> {
  const archive = await JSZip.loadAsync(bytes);
  const parts: DocumentPart[] = [];
  for (const [index, path] of (await slidePaths(archive)).entries()) {
    const slide = await xml(archive, path);
    const paragraphs = [...(slide?.getElementsByTagName("a:p") ?? [])]
      .map((paragraph) => [...paragraph.getElementsByTagName("a:t")].map((run) => run.textContent ?? "").join(""))
      .filter((text) => text.trim().length > 0);
    parts.push({ label: `slide ${index + 1}`, text: paragraphs.join("\n") });
  }
  return parts;
}
