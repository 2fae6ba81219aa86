/** What may be stored about an endpoint: its URL without embedded credentials (`http://user:pass@host` → `http://host`). */
export function withoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.username && !parsed.password) return url;
    parsed.username = "";
    parsed.password = "";
    return parsed.href;
  } catch {
    // Not a URL: drop anything that looks like userinfo before an @.
    return url.replace(/\/\/[^/@\s]*@/, "//");
  }
}
