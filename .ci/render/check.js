#!/usr/bin/env node
// Rendering check for guidebot's answers in Element Web.
//
//   node check.js ANSWERS.json OUTDIR
//
// ANSWERS.json is what cmd/guidebot-render writes. For every answer this
//  1. sanitizes formatted_body with Element's own sanitize-html options, loaded
//     at run time from matrix-react-sdk's compiled lib/Linkify.js, and fails
//     when the sanitizer drops or changes a tag, an attribute or text (other
//     than whitespace and the target/rel Element adds to links), or when the
//     HTML uses a tag or attribute outside the Matrix spec's list;
//  2. fails on newlines in HTML text outside <pre> (Element's .markdown-body
//     has white-space: normal, so they collapse) and on h1-h3 (Element shows
//     them at 1.5em); h4-h6 are only reported;
//  3. renders each sanitized answer in headless Chromium inside Element-like
//     markup and CSS (matrix-react-sdk's fonts, github-markdown-css and
//     compound design tokens, plus the event tile rules copied below), in a
//     timeline 800 px wide, fails when the body or a table is wider than its
//     box, and writes a PNG per answer and language to OUTDIR.
"use strict";

const fs = require("fs");
const path = require("path");
const vm = require("vm");
const { pathToFileURL } = require("url");

const sdkDir = path.dirname(require.resolve("matrix-react-sdk/package.json"));
const sdkVersion = require("matrix-react-sdk/package.json").version;
// Element's own copy of sanitize-html (matrix-react-sdk pins it).
const sdkRequire = require("module").createRequire(path.join(sdkDir, "lib", "Linkify.js"));
const sanitizeHtml = sdkRequire("sanitize-html");
const htmlparser2 = sdkRequire("htmlparser2");

// The allowed tags and attributes of formatted_body, from the Matrix spec
// (client-server API, m.room.message msgtypes, "formatted_body" section).
const SPEC_TAGS = new Set(
    ("font del h1 h2 h3 h4 h5 h6 blockquote p a ul ol sup sub li b i u strong em s code hr br " +
        "div table thead tbody tr th td caption pre span img details summary").split(" "),
);
const SPEC_ATTRS = {
    font: ["data-mx-bg-color", "data-mx-color", "color"],
    span: ["data-mx-bg-color", "data-mx-color", "data-mx-spoiler", "data-mx-maths"],
    a: ["target", "href"],
    img: ["width", "height", "alt", "title", "src"],
    ol: ["start"],
    code: ["class"],
    div: ["data-mx-maths"],
};

// elementSanitizeOptions evaluates matrix-react-sdk's lib/Linkify.js, which
// defines sanitizeHtmlParams (allowedTags, allowedAttributes, transformTags,
// allowedSchemes, …), with the app modules it imports stubbed: no setting
// store, no permalink handling for links that are not Matrix links, no media
// server. The options object itself is Element's, unchanged.
function elementSanitizeOptions() {
    const file = path.join(sdkDir, "lib", "Linkify.js");
    const src = fs.readFileSync(file, "utf8");
    const stubs = {
        "react": { default: {} },
        "lodash": { merge: Object.assign },
        "linkify-react": { default: {} },
        "./linkify-matrix": {
            // lib/linkify-matrix.js's pattern, with Element's own host as app.element.io.
            ELEMENT_URL_PATTERN:
                "^(?:vector://|https?://)?(?:app\\.element\\.io/|(?:www\\.)?(?:riot|vector)\\.im/(?:app|beta|staging|develop)/|(?:app|beta|staging|develop)\\.element\\.io/)(#.*)",
        },
        "./settings/SettingsStore": { default: { getValue: () => true } },
        "./utils/permalinks/Permalinks": {
            tryTransformPermalinkToLocalHref: (href) =>
                /^https:\/\/matrix\.to\/#\//.test(href) ? href.replace("https://matrix.to/", "") : href,
        },
        "./customisations/Media": { mediaFromMxc: (mxc) => ({ getThumbnailOfSourceHttp: () => mxc }) },
        "./utils/UrlUtils": sdkRequire("./utils/UrlUtils"),
    };
    const module = { exports: {} };
    const req = (name) => {
        if (name in stubs) return stubs[name];
        if (name.startsWith("@babel/runtime/")) return sdkRequire(name);
        if (name === "sanitize-html") return sanitizeHtml;
        throw new Error(`${file} requires ${name}, which the check does not stub`);
    };
    vm.runInThisContext(`(function (exports, require, module) {${src}\n})`, { filename: file })(
        module.exports,
        req,
        module,
    );
    const opts = module.exports.sanitizeHtmlParams;
    if (!opts || !Array.isArray(opts.allowedTags) || !opts.transformTags) {
        throw new Error(`no sanitizeHtmlParams in ${file}`);
    }
    return opts;
}

// tokens lists the elements (with attributes) and the text of html, text
// with whitespace collapsed, so that two bodies compare as Element shows them.
function tokens(html) {
    const out = [];
    let text = "";
    const flush = () => {
        const t = text.replace(/\s+/g, " ");
        if (t !== "" && t !== " ") out.push({ text: t });
        text = "";
    };
    const p = new htmlparser2.Parser(
        {
            onopentag(name, attribs) {
                flush();
                out.push({ open: name, attribs });
            },
            ontext(t) {
                text += t;
            },
            onclosetag(name) {
                flush();
                out.push({ close: name });
            },
        },
        { decodeEntities: true, lowerCaseTags: true },
    );
    p.write(html);
    p.end();
    flush();
    return out;
}

function show(t) {
    if (t.text !== undefined) return JSON.stringify(t.text.length > 60 ? t.text.slice(0, 57) + "…" : t.text);
    if (t.close) return `</${t.close}>`;
    const a = Object.entries(t.attribs || {}).map(([k, v]) => ` ${k}="${v}"`).join("");
    return `<${t.open}${a}>`;
}

// What Element's transformTags add on purpose: not a change to our HTML.
const ADDED = { a: ["target", "rel"] };

// sanitizerProblems compares our HTML with what Element's sanitizer kept.
function sanitizerProblems(before, after) {
    const a = tokens(before);
    const b = tokens(after);
    const problems = [];
    for (const t of a) {
        if (t.open && !SPEC_TAGS.has(t.open)) problems.push(`<${t.open}> is not in the spec's list of tags`);
        if (t.open) {
            for (const k of Object.keys(t.attribs)) {
                if (!(SPEC_ATTRS[t.open] || []).includes(k)) {
                    problems.push(`<${t.open} ${k}> is not in the spec's list of attributes`);
                }
            }
        }
    }
    const n = Math.max(a.length, b.length);
    for (let i = 0; i < n; i++) {
        const x = a[i];
        const y = b[i];
        if (!x || !y) {
            problems.push(`sanitizer ${x ? "dropped " + show(x) : "added " + show(y)} at token ${i}`);
            break;
        }
        if (x.text !== undefined || y.text !== undefined) {
            if (x.text !== y.text) {
                problems.push(`sanitizer changed text ${show(x)} into ${show(y)}`);
                break;
            }
            continue;
        }
        if (x.open !== y.open || x.close !== y.close) {
            problems.push(`sanitizer dropped or changed ${show(x)} (kept ${show(y)} in its place)`);
            break;
        }
        if (x.open) {
            const added = ADDED[x.open] || [];
            for (const [k, v] of Object.entries(x.attribs)) {
                if (!(k in y.attribs)) problems.push(`sanitizer dropped attribute ${k} of ${show(x)}`);
                else if (y.attribs[k] !== v && !added.includes(k)) {
                    problems.push(`sanitizer changed ${k}="${v}" into ${k}="${y.attribs[k]}" in <${x.open}>`);
                }
            }
            for (const k of Object.keys(y.attribs)) {
                if (!(k in x.attribs) && !added.includes(k)) problems.push(`sanitizer added attribute ${k} to ${show(x)}`);
            }
        }
    }
    return problems;
}

// layoutProblems finds what Element would show differently from what we meant.
function markupProblems(html) {
    const problems = [];
    const notes = [];
    let pre = 0;
    const p = new htmlparser2.Parser({
        onopentag(name) {
            if (name === "pre") pre++;
            if (/^h[1-3]$/.test(name)) problems.push(`<${name}>: Element shows h1-h3 at 1.5em; use <b> or <h4>`);
            else if (/^h[4-6]$/.test(name)) notes.push(`<${name}> used`);
        },
        onclosetag(name) {
            if (name === "pre") pre--;
        },
        ontext(t) {
            if (pre === 0 && t.includes("\n")) {
                problems.push(`newline in text ${JSON.stringify(t.slice(0, 50))}: Element collapses it (use <br>)`);
            }
        },
    });
    p.write(html);
    p.end();
    return { problems, notes };
}

// The event tile's CSS. Rules copied from matrix-react-sdk's
// res/css/views/rooms/_EventTile.pcss (group layout: --EventTile_group_line-spacing-inline-start
// = $left-gutter 64px, .mx_EventTile_line line-height $font-22px,
// .mx_EventTile_content overflow hidden and margin-right 34px, the
// .markdown-body rules), res/css/views/messages/_MNoticeBody.pcss and
// res/themes/light/css/_light.pcss ($font-family, $monospace-font-family,
// $secondary-content), with the SCSS variables resolved; the fonts, the
// github-markdown-css theme and the compound design tokens are the package's
// own files.
function pageCSS() {
    const f = (p) => pathToFileURL(path.join(sdkDir, "res", "fonts", p)).href;
    const inter = [
        [400, "normal", "Inter-Regular"],
        [400, "italic", "Inter-Italic"],
        [600, "normal", "Inter-SemiBold"],
        [700, "normal", "Inter-Bold"],
        [700, "italic", "Inter-BoldItalic"],
    ]
        .filter(([, , n]) => fs.existsSync(path.join(sdkDir, "res", "fonts", "Inter", n + ".woff2")))
        .map(
            ([w, s, n]) =>
                `@font-face { font-family: "Inter"; font-weight: ${w}; font-style: ${s}; src: url("${f("Inter/" + n + ".woff2")}") format("woff2"); }`,
        )
        .join("\n");
    const inconsolata = fs
        .readdirSync(path.join(sdkDir, "res", "fonts", "Inconsolata"))
        .filter((n) => n.endsWith(".woff2"))
        .map((n) => `@font-face { font-family: "Inconsolata"; src: url("${f("Inconsolata/" + n)}") format("woff2"); }`)
        .join("\n");
    return `${inter}
${inconsolata}
html { font-size: 16px; }
body { margin: 0; background: #fff; font-family: "Inter", "Twemoji", "Apple Color Emoji", "Segoe UI Emoji", "Arial", "Helvetica", sans-serif;
  font-size: 15px; color: var(--cpd-color-text-primary); }
.mx_RoomView_MessageList { width: 800px; box-sizing: border-box; padding: 0 18px 0 0; }
.mx_EventTile { position: relative; padding-top: 18px; }
.mx_EventTile_caption { font: var(--cpd-font-body-sm-semibold); color: #888; margin: 0 0 4px 64px; }
.mx_EventTile_line { position: relative; padding: 1px 0 3px 64px; line-height: 22px; }
.mx_EventTile_avatar { position: absolute; left: 8px; top: 18px; width: 30px; height: 30px; border-radius: 50%; background: #0dbd8b; }
.mx_EventTile_content { overflow-y: hidden; overflow-x: hidden; margin-right: 34px; }
.mx_MNoticeBody { white-space: pre-wrap; color: var(--cpd-color-text-secondary); }
.mx_EventTile_content .markdown-body {
  font: var(--cpd-font-body-md-regular) !important; letter-spacing: var(--cpd-font-letter-spacing-body-md);
  font-family: inherit !important; white-space: normal !important; line-height: inherit !important;
  background-color: inherit; color: inherit; }
.mx_EventTile_content .markdown-body pre, .mx_EventTile_content .markdown-body code {
  font-family: "Inconsolata", "Twemoji", "Apple Color Emoji", "Segoe UI Emoji", "Courier", monospace !important;
  background-color: var(--cpd-color-bg-subtle-secondary); }
.mx_EventTile_content .markdown-body code:not(pre *) { background-color: var(--cpd-color-bg-subtle-secondary);
  border: 1px solid var(--cpd-color-border-interactive-secondary); border-radius: 4px; padding: 2px 0; line-height: 22px; margin-right: 2px; }
.mx_EventTile_content .markdown-body code { white-space: pre-wrap; }
.mx_EventTile_content .markdown-body h1, .mx_EventTile_content .markdown-body h2, .mx_EventTile_content .markdown-body h3,
.mx_EventTile_content .markdown-body h4, .mx_EventTile_content .markdown-body h5, .mx_EventTile_content .markdown-body h6 {
  font-family: inherit !important; color: inherit; }
.mx_EventTile_content .markdown-body h1, .mx_EventTile_content .markdown-body h2 { font-size: 1.5em; border-bottom: none !important; }
.mx_EventTile_content .markdown-body a { color: var(--cpd-color-text-link-external); }
`;
}

function pageHTML(answers, safe) {
    const css = (p) => pathToFileURL(p).href;
    const tokensCSS = path.join(
        path.dirname(sdkRequire.resolve("@vector-im/compound-design-tokens/package.json")),
        "assets/web/css/compound-design-tokens.css",
    );
    const mdCSS = path.join(path.dirname(sdkRequire.resolve("github-markdown-css/package.json")), "github-markdown-light.css");
    const esc = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");
    const tiles = answers
        .map((a, i) => {
            // bodyToNode in src/HtmlUtils.tsx: markdown-body only for HTML
            // that is not plain text.
            const isHTML = /<[a-z]/i.test(safe[i]);
            return `<div class="mx_EventTile" id="t${i}" data-layout="group">
<div class="mx_EventTile_caption">${esc(a.id + " · " + a.lang + (a.line ? " · " + a.line : ""))}</div>
<div class="mx_EventTile_avatar"></div>
<div class="mx_EventTile_line"><div class="mx_MNoticeBody mx_EventTile_content"><div class="mx_EventTile_body${isHTML ? " markdown-body" : ""} translate" dir="auto">${safe[i]}</div></div></div>
</div>`;
        })
        .join("\n");
    return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<link rel="stylesheet" href="${css(tokensCSS)}">
<link rel="stylesheet" href="${css(mdCSS)}">
<style>${pageCSS()}</style></head>
<body class="cpd-theme-light"><div class="mx_RoomView_MessageList">
${tiles}
</div></body></html>`;
}

async function render(answers, safe, outDir) {
    const { chromium } = require("playwright-core");
    const profile = fs.mkdtempSync(path.join(require("os").tmpdir(), "guidebot-render-chromium-"));
    // A fresh profile each run (playwright passes it as --user-data-dir).
    const browser = await chromium.launchPersistentContext(profile, {
        viewport: { width: 800, height: 800 },
        deviceScaleFactor: 1,
        executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
        headless: true,
        args: [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    });
    const results = [];
    try {
        const page = browser.pages()[0] || (await browser.newPage());
        // Nothing leaves the machine: the page only loads file:// URLs.
        await page.route(/^(?!file:)/, (route) => route.abort());
        const file = path.join(outDir, "page.html");
        fs.writeFileSync(file, pageHTML(answers, safe));
        await page.goto(pathToFileURL(file).href);
        await page.evaluate(() => document.fonts.ready);
        const fonts = await page.evaluate(() => document.fonts.check('15px "Inter"'));
        for (let i = 0; i < answers.length; i++) {
            const m = await page.evaluate((id) => {
                const tile = document.getElementById(id);
                const content = tile.querySelector(".mx_EventTile_content");
                const r = {
                    width: content.clientWidth,
                    scroll: content.scrollWidth,
                    tables: [...tile.querySelectorAll("table")].map((t) => ({ width: t.clientWidth, scroll: t.scrollWidth })),
                    wide: [],
                };
                // Elements that stick out of the body's box, as Element clips them.
                const right = content.getBoundingClientRect().right;
                for (const el of tile.querySelectorAll(".mx_EventTile_body *")) {
                    if (el.closest("table")) continue;
                    if (el.getBoundingClientRect().right > right + 0.5) r.wide.push(el.tagName.toLowerCase() + ": " + el.textContent.slice(0, 40));
                }
                return r;
            }, `t${i}`);
            const png = path.join(outDir, `${answers[i].id}.${answers[i].lang}.png`);
            await page.locator(`#t${i}`).screenshot({ path: png });
            results.push({ ...m, png, fonts });
        }
    } finally {
        await browser.close();
        fs.rmSync(profile, { recursive: true, force: true });
    }
    return results;
}

async function main() {
    const [answersFile, outDir] = process.argv.slice(2);
    if (!answersFile || !outDir) {
        console.error("usage: node check.js ANSWERS.json OUTDIR");
        process.exit(2);
    }
    fs.mkdirSync(outDir, { recursive: true });
    const answers = JSON.parse(fs.readFileSync(answersFile, "utf8"));
    const opts = elementSanitizeOptions();
    console.log(
        `Element's sanitizer: matrix-react-sdk ${sdkVersion} lib/Linkify.js sanitizeHtmlParams, sanitize-html ${sdkRequire("sanitize-html/package.json").version}; ${opts.allowedTags.length} tags allowed`,
    );
    const safe = answers.map((a) => sanitizeHtml(a.formatted_body, opts));
    let failed = 0;
    const report = answers.map((a, i) => {
        const m = markupProblems(a.formatted_body);
        return { a, problems: [...sanitizerProblems(a.formatted_body, safe[i]), ...m.problems], notes: m.notes };
    });
    const shots = await render(answers, safe, outDir);
    if (!shots[0].fonts) console.log("warning: the Inter font did not load; widths are approximate");
    for (let i = 0; i < answers.length; i++) {
        const s = shots[i];
        const r = report[i];
        if (s.scroll > s.width) r.problems.push(`body is ${s.scroll} px wide in a ${s.width} px box: Element cuts it off`);
        s.tables.forEach((t, j) => {
            if (t.scroll > t.width) r.problems.push(`table ${j + 1} is ${t.scroll} px wide in ${t.width} px: it scrolls sideways`);
        });
        for (const w of s.wide.slice(0, 3)) r.problems.push(`sticks out of the body: ${w}`);
        const name = `${r.a.id}.${r.a.lang}`;
        const widest = Math.max(s.scroll, ...s.tables.map((t) => t.scroll));
        if (r.problems.length) {
            failed++;
            console.log(`FAIL ${name} (${r.a.line || r.a.command})`);
            for (const p of r.problems) console.log(`     ${p}`);
        } else {
            console.log(`ok   ${name}  ${widest}/${s.width} px${r.notes.length ? "  note: " + r.notes.join(", ") : ""}`);
        }
    }
    console.log(`screenshots: ${outDir}/*.png`);
    console.log(`render: ${answers.length - failed} passed, ${failed} failed`);
    process.exit(failed ? 1 : 0);
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
