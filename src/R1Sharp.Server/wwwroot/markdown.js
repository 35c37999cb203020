// Markdown -> safe DOM. markdown-it runs with html:false (any HTML in a message is escaped to text), math is rendered
// by KaTeX (trust:false), code by highlight.js; the resulting HTML is then parsed inertly (DOMParser never runs
// scripts) and rebuilt through an allowlist of elements and attributes before it enters the page.

const md = window.markdownit({
  html: false,
  linkify: true,
  typographer: false,
  highlight(code, lang) {
    const hljs = window.hljs;
    if (hljs && lang && hljs.getLanguage(lang)) {
      try { return hljs.highlight(code, { language: lang, ignoreIllegals: true }).value; } catch { /* fall through */ }
    }
    return ''; // markdown-it escapes the code itself
  },
});
md.use(mathPlugin);
// Links open in a new tab and never get the page as opener.
const defaultLinkOpen = md.renderer.rules.link_open || ((tokens, idx, options, env, self) => self.renderToken(tokens, idx, options));
md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
  tokens[idx].attrSet('target', '_blank');
  tokens[idx].attrSet('rel', 'noopener noreferrer nofollow');
  return defaultLinkOpen(tokens, idx, options, env, self);
};

export function escapeHtml(s) {
  return s.replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

function renderTex(tex, displayMode) {
  try {
    return window.katex.renderToString(tex, {
      displayMode, throwOnError: false, trust: false, strict: 'ignore', maxSize: 50, maxExpand: 500, output: 'htmlAndMathml',
    });
  } catch {
    return `<code class="math-error">${escapeHtml(tex)}</code>`;
  }
}

// Math: \( \) and $ $ inline, \[ \] and $$ $$ display (as a block of their own or inside a paragraph).
function mathPlugin(mdi) {
  mdi.inline.ruler.before('escape', 'math_inline', (state, silent) => {
    const src = state.src, pos = state.pos, max = state.posMax;
    let open, close, display;
    if (src.charCodeAt(pos) === 0x5C) {              // backslash
      if (src[pos + 1] === '(') { open = '\\('; close = '\\)'; display = false; }
      else if (src[pos + 1] === '[') { open = '\\['; close = '\\]'; display = true; }
      else return false;
    } else if (src.charCodeAt(pos) === 0x24) {       // $
      if (src[pos + 1] === '$') { open = '$$'; close = '$$'; display = true; }
      else { open = '$'; close = '$'; display = false; }
    } else return false;
    const start = pos + open.length;
    let end = src.indexOf(close, start);
    while (end !== -1 && open === '$' && src[end - 1] === '\\') end = src.indexOf(close, end + 1);
    if (end === -1 || end + close.length > max) return false;
    const content = src.slice(start, end);
    if (!content.trim()) return false;
    // Like pandoc: "$5 and $6" is not math: no space just inside the dollars, no digit just after the closing one.
    if (open === '$' && (/^\s|\s$/.test(content) || /[0-9]/.test(src[end + 1] || ''))) return false;
    if (!silent) {
      const token = state.push(display ? 'math_display' : 'math_inline', 'math', 0);
      token.content = content;
      token.markup = open;
    }
    state.pos = end + close.length;
    return true;
  });

  mdi.block.ruler.before('fence', 'math_block', (state, startLine, endLine, silent) => {
    if (state.sCount[startLine] - state.blkIndent >= 4) return false;
    const lineText = n => state.src.slice(state.bMarks[n] + state.tShift[n], state.eMarks[n]);
    const first = lineText(startLine);
    let open, close;
    if (first.startsWith('$$')) { open = '$$'; close = '$$'; }
    else if (first.startsWith('\\[')) { open = '\\['; close = '\\]'; }
    else return false;
    const lines = [];
    let rest = first.slice(open.length), line = startLine, found = false;
    for (;;) {
      const at = rest.indexOf(close);
      if (at !== -1) {
        if (rest.slice(at + close.length).trim() !== '') return false; // text after the closing delimiter: inline math
        lines.push(rest.slice(0, at));
        found = true;
        break;
      }
      lines.push(rest);
      line++;
      if (line >= endLine) break;
      if (state.sCount[line] < state.blkIndent && state.bMarks[line] + state.tShift[line] < state.eMarks[line]) break;
      rest = lineText(line);
    }
    if (!found) return false;
    if (silent) return true;
    state.line = line + 1;
    const token = state.push('math_block', 'math', 0);
    token.block = true;
    token.content = lines.join('\n');
    token.map = [startLine, state.line];
    token.markup = open;
    return true;
  }, { alt: ['paragraph', 'reference', 'blockquote', 'list'] });

  mdi.renderer.rules.math_inline = (tokens, idx) => renderTex(tokens[idx].content, false);
  mdi.renderer.rules.math_display = (tokens, idx) => renderTex(tokens[idx].content, true);
  mdi.renderer.rules.math_block = (tokens, idx) => `<div class="math-block">${renderTex(tokens[idx].content, true)}</div>\n`;
}

// What may reach the page: markdown-it's structural tags, KaTeX's spans/SVG/MathML. Everything else is dropped
// (its text kept), every on* attribute is dropped, links only to http(s)/mailto/anchors.
const ALLOWED_TAGS = new Set(`a b blockquote br code del div em h1 h2 h3 h4 h5 h6 hr i li ol p pre s span strong sub sup
  table tbody td th thead tr ul img
  svg path line g rect
  math semantics annotation mrow mi mo mn ms mtext mspace msup msub msubsup mfrac msqrt mroot mover munder munderover
  mtable mtr mtd mstyle mpadded mphantom menclose mglyph`.split(/\s+/));
const ALLOWED_ATTRS = new Set(`class style href title target rel start colspan rowspan align aria-hidden role alt
  width height viewbox preserveaspectratio d x y x1 x2 y1 y2 fill stroke stroke-width transform xmlns
  encoding display mathvariant stretchy fence separator lspace rspace minsize maxsize accent accentunder movablelimits
  columnalign rowalign columnspacing rowspacing columnlines rowlines scriptlevel displaystyle linethickness notation
  depth voffset src`.split(/\s+/));

function safeUrl(value, forImage) {
  const v = value.trim();
  if (v.startsWith('#')) return true;
  if (forImage) return /^data:image\/(png|gif|jpeg|webp);/i.test(v); // no remote images: the app works offline
  return /^(https?:|mailto:)/i.test(v);
}

function sanitize(node) {
  for (const child of [...node.childNodes]) {
    if (child.nodeType === Node.TEXT_NODE) continue;
    if (child.nodeType !== Node.ELEMENT_NODE) { child.remove(); continue; }
    const tag = child.localName;
    if (!ALLOWED_TAGS.has(tag)) {
      if (tag === 'script' || tag === 'style' || tag === 'template') child.remove();
      else child.replaceWith(document.createTextNode(child.textContent || ''));
      continue;
    }
    for (const attr of [...child.attributes]) {
      const name = attr.name.toLowerCase();
      let ok = ALLOWED_ATTRS.has(name) && !name.startsWith('on');
      if (ok && (name === 'href' || name === 'src')) ok = safeUrl(attr.value, name === 'src');
      if (ok && name === 'style') ok = !/url\s*\(|expression\s*\(|@import/i.test(attr.value);
      if (!ok) child.removeAttribute(attr.name);
    }
    sanitize(child);
  }
}

const parser = new DOMParser();

/** Renders markdown text into element (replacing its children) without ever executing anything from the text. */
export function renderMarkdown(element, text) {
  const doc = parser.parseFromString(`<body>${md.render(text)}</body>`, 'text/html');
  sanitize(doc.body);
  for (const pre of doc.body.querySelectorAll('pre')) decorateCodeBlock(doc, pre);
  element.replaceChildren(...doc.body.childNodes);
}

function decorateCodeBlock(doc, pre) {
  const code = pre.querySelector('code');
  const lang = (code?.className.match(/language-([\w+#.-]+)/) || [])[1] || 'text';
  if (code) code.classList.add('hljs');
  const wrap = doc.createElement('div');
  wrap.className = 'code-block';
  const bar = doc.createElement('div');
  bar.className = 'code-bar';
  const label = doc.createElement('span');
  label.textContent = lang;
  const copy = doc.createElement('button');
  copy.type = 'button';
  copy.className = 'text-btn code-copy';
  copy.textContent = 'Copy';
  copy.setAttribute('aria-label', `Copy ${lang} code`);
  bar.append(label, copy);
  pre.replaceWith(wrap);
  wrap.append(bar, pre);
}
