#!/usr/bin/env node
// Generates tests/AotStreaming.Tests/Filtering/TestData/html-fragment-text.json: HTML inputs and the text a real DOM
// gives for them, the way upstream's keyword filter reads a status (streaming/index.js, reference §6.7):
//   text:       JSDOM.fragment(html).textContent                                  (HtmlFragmentText.ToText)
//   searchable: JSDOM.fragment(["", html].join("\n\n")
//                 .replace(/<br\s*\/?>/g, "\n").replace(/<\/p><p>/g, "\n\n")).textContent
//               (SearchableText.Extract of a status whose only text is `content`)
// plus one case per HTML5 named character reference, so the generated table is checked against parse5's decoder.
// jsdom is installed outside the repository and never committed:
//   mkdir /tmp/jsdomgen && cd /tmp/jsdomgen && npm install jsdom@26
//   NODE_PATH=/tmp/jsdomgen/node_modules node tools/html/generate_text_fixtures.mjs /tmp/ent/node_modules/entities/lib/maps/entities.json
// (jsdom 26 runs on Node 20; upstream pins ^29, whose HTML parsing is the same parse5 tokenizer and tree builder.)
import { createRequire } from "node:module";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(join(process.env.NODE_PATH ?? process.cwd(), "x.js"));
const { JSDOM } = require("jsdom");
const jsdomVersion = require("jsdom/package.json").version;

const cases = [
  // Mastodon status HTML
  '<p>Hello world</p>',
  '<p>first</p><p>second</p>',
  '<p>line one<br>line two<br/>line three<br />four</p>',
  '<p>a<BR>b</P><P>c</p>',
  '<p><span class="h-card" translate="no"><a href="https://example.social/@alice" class="u-url mention">@<span>alice</span></a></span> hi</p>',
  '<p><a href="https://example.social/tags/Caf%C3%A9" class="mention hashtag" rel="tag">#<span>Café</span></a></p>',
  '<p><a href="https://example.com/a/very/long/path" target="_blank" rel="nofollow noopener noreferrer" translate="no"><span class="invisible">https://</span><span class="ellipsis">example.com/a/very/lo</span><span class="invisible">ng/path</span></a></p>',
  '<p>nested <b>bold <i>italic <u>under</u></i></b> end</p>',
  '<blockquote><p>quoted</p></blockquote><ul><li>one</li><li>two</li></ul><pre><code>x = 1;\n  y</code></pre>',
  '<p>tom &amp; jerry &lt;3 &gt; &quot;q&quot; &apos;a&apos; &#39;n&#39; &#x27;h&#x27;</p>',
  // character references
  '&NotNestedGreaterGreater; &bne; &nbsp;|&ThinSpace;|&fjlig; &Afr; &CounterClockwiseContourIntegral;',
  '&amp without semicolon &ampx &amp;x &AMP &lt3 &gt; &copy2023 &not &notin &notit; &noti &notin;',
  '&Aacute &aacutex &eacute; &Eacute &yuml &Yuml; &nosuchname; &; & alone &#; &#x; &#xZ;',
  '&#65;&#x42;&#X43;&#0044; &#0; &#x110000; &#xD800; &#xDFFF; &#x80; &#x81; &#x8D; &#x9F; &#128512; &#x1F600;',
  '&#65 &#x41 &#x41g &#99999999999; &#xFFFE; &#xFDD0; &#x0B; &#x0D; &#x7F;',
  '&amp;amp; &amp;lt; &#38;#38;',
  // markup that is not text
  'a<!-- comment -->b<!---->c<!-- unterminated',
  'x<!--> y',
  'x<!---> y',
  'p<![CDATA[ not cdata in html ]]>q',
  'd<!DOCTYPE html>e<?php echo 1 ?>f</>g</ x>h',
  '<script>var a = "<p>" && b;</script> after',
  '<style>p { color: red } a > b {}</style>styled',
  '<textarea>&lt;b&gt; <i>not a tag</i></textarea><title>t&amp;t</title>',
  '<xmp>&amp; <b></xmp> <noembed>n</noembed><noframes>f</noframes><iframe>i</iframe>',
  '<template>hidden<p>also</p></template>shown',
  '<table><tr><td>cell</td></tr></table>text after table',
  '<select><option>o1</option></select><svg><text>svg text</text></svg><math><mi>x</mi></math>',
  '<a href="x" title="a > b">link</a> <img alt="alt text" src="x.png"> <br/> <input value="v">',
  'a < b and c <d e> <1 <  >',
  'unclosed <b>bold <i>text',
  'tag at end <a href="',
  'line\r\nbreaks\rand\nmore',
  'nul\u0000char',
  '<p>emoji 🎉 and <span>ＦＵＬＬ</span></p>',
  '<plaintext>everything <b>after</b> &amp;',
  '',
];

const entities = JSON.parse(readFileSync(process.argv[2], "utf8"));
for (const name of Object.keys(entities).sort()) {
  cases.push(`[&${name};]`);
}

const textContent = (html) => JSDOM.fragment(html).textContent;
const searchable = (html) =>
  textContent(["", html].join("\n\n").replace(/<br\s*\/?>/g, "\n").replace(/<\/p><p>/g, "\n\n"));

const fixtures = cases.map((html) => ({ html, text: textContent(html), searchable: searchable(html) }));
const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const out = join(root, "tests/AotStreaming.Tests/Filtering/TestData/html-fragment-text.json");
writeFileSync(out, JSON.stringify({ generator: "tools/html/generate_text_fixtures.mjs", jsdom: jsdomVersion, cases: fixtures }, null, 1) + "\n");
console.log(`${fixtures.length} cases written with jsdom ${jsdomVersion}`);
