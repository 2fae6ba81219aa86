/** Which reader a file needs, from its name (extension) and, for downloads, its content type. */

export type DocumentFormat =
  | "pdf"
  | "docx"
  | "xlsx"
  | "csv"
  | "pptx"
  | "text"
  | "json"
  | "html"
  | "image"
  | "audio"
  | "video"
  | "unknown";

const BY_EXTENSION: Record<string, DocumentFormat> = {
  pdf: "pdf",
  docx: "docx",
  xlsx: "xlsx",
  xlsm: "xlsx",
  csv: "csv",
  tsv: "csv",
  pptx: "pptx",
  txt: "text",
  md: "text",
  markdown: "text",
  py: "text",
  log: "text",
  xml: "text",
  json: "json",
  jsonl: "text",
  jsonld: "json",
  html: "html",
  htm: "html",
  png: "image",
  jpg: "image",
  jpeg: "image",
  gif: "image",
  webp: "image",
  bmp: "image",
  mp3: "audio",
  wav: "audio",
  m4a: "audio",
  flac: "audio",
  ogg: "audio",
  mp4: "video",
  mov: "video",
  webm: "video",
};

const BY_CONTENT_TYPE: [string, DocumentFormat][] = [
  ["application/pdf", "pdf"],
  ["application/vnd.openxmlformats-officedocument.wordprocessingml", "docx"],
  ["application/vnd.openxmlformats-officedocument.spreadsheetml", "xlsx"],
  ["application/vnd.openxmlformats-officedocument.presentationml", "pptx"],
  ["text/csv", "csv"],
  ["text/html", "html"],
  ["application/xhtml", "html"],
  ["application/json", "json"],
  ["text/", "text"],
  ["image/", "image"],
  ["audio/", "audio"],
  ["video/", "video"],
];

export function documentFormat(name: string, contentType?: string): DocumentFormat {
  const extension = /\.([a-z0-9]+)$/i.exec(name.split(/[?#]/)[0] ?? "")?.[1]?.toLowerCase();
  const byName = extension ? BY_EXTENSION[extension] : undefined;
  if (byName) return byName;
  const type = contentType?.split(";")[0]?.trim().toLowerCase() ?? "";
  return BY_CONTENT_TYPE.find(([prefix]) => type.startsWith(prefix))?.[1] ?? "unknown";
}
