/**
 * The Content-Security-Policy of the built studio: the one source of truth. vite.config.ts delivers it
 * twice: as a `<meta http-equiv>` in dist/index.html (for whatever static host serves the build) and as
 * a header from `vite preview` (the e2e server). `frame-ancestors` only works as a header (a browser
 * ignores it in a meta element, and says so in the console), so the meta form leaves it out.
 */

/**
 * Where the artist's packs download from. A pack file's URL is `https://huggingface.co/{repo}/resolve/…`
 * (src/lib/models/manifest.ts, HUB_ORIGIN and fileUrl); the Hub answers LFS and Xet files with a redirect
 * to storage hosts, and a CSP applies to every hop of a redirect. Those hosts change: huggingface/hub-docs
 * #2628 ("Downloading behind a proxy or firewall") lists Xet, CDN edge and legacy LFS hosts and gives the
 * wildcards `*.hf.co` (e.g. cas-bridge.xethub.hf.co, cdn-lfs-us-1.hf.co, us.aws.cdn.hf.co, which
 * yocreoquesi/nukebg#376 saw a `resolve` URL redirect to) and `*.huggingface.co` (the legacy
 * cdn-lfs*.huggingface.co hosts, which `*.hf.co` does not cover). A host wildcard matches any depth.
 */
export const DOWNLOAD_HOSTS = ['https://huggingface.co', 'https://*.huggingface.co', 'https://*.hf.co'];

const directives: [string, string[]][] = [
  ['default-src', ["'self'"]],
  // No inline script anywhere (the service worker registers from the bundle); onnxruntime-web compiles
  // its .wasm, which needs 'wasm-unsafe-eval' (not 'unsafe-eval').
  ['script-src', ["'self'", "'wasm-unsafe-eval'"]],
  // The engine, OPFS writer and widening workers, and ORT's own threads, are files of the build.
  ['worker-src', ["'self'"]],
  // blob: is the studio's own object URLs (a shown picture's bytes read back); nothing leaves the origin.
  ['connect-src', ["'self'", 'blob:', ...DOWNLOAD_HOSTS]],
  // Panels, references and crops are drawn from Blob URLs; small previews are data URLs.
  ['img-src', ["'self'", 'blob:', 'data:']],
  // Svelte writes dynamic styles through the CSSOM (element.style), which style-src does not govern.
  ['style-src', ["'self'"]],
  ['font-src', ["'self'"]],
  ['manifest-src', ["'self'"]],
  ['media-src', ["'self'", 'blob:']],
  ['object-src', ["'none'"]],
  ['base-uri', ["'none'"]],
  ['form-action', ["'none'"]],
  ['frame-ancestors', ["'none'"]],
];

/** Directives a browser ignores when the policy comes in a `<meta>` element. */
const HEADER_ONLY = new Set(['frame-ancestors', 'report-uri', 'sandbox']);

const serialise = (list: [string, string[]][]) =>
  list.map(([name, values]) => `${name} ${values.join(' ')}`).join('; ');

/** The policy for the `Content-Security-Policy` response header. */
export const cspHeader = (): string => serialise(directives);

/** The same policy for `<meta http-equiv="Content-Security-Policy">`, without the header-only directives. */
export const cspMeta = (): string => serialise(directives.filter(([name]) => !HEADER_ONLY.has(name)));
