/**
 * The run page's script (inlined, no dependencies): renders the turn timeline from the embedded JSON,
 * collapsed; a turn's body (its own JSON block, parsed on first open), a batch's sub-calls and a sub-call's texts are built only when first opened,
 * so a 200-turn / 10,000-sub-call run opens quickly. Texts go in as text nodes, never as HTML.
 * (Kept free of backticks and dollar-brace so it can live in this string.)
 */
export const RUN_CLIENT_JS = String.raw`
(function () {
  'use strict';
  var scriptStart = performance.now();
  var data = JSON.parse(document.getElementById('rlm-data').textContent);
  var PAGE = 200;
  function el(tag, cls, text) { var e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined && text !== null) e.textContent = String(text); return e; }
  function fmt(n) { return Math.round(n).toLocaleString('en-US'); }
  function usd(x) { return '$' + x.toFixed(x >= 1 ? 2 : 4); }
  function dur(ms) { return ms < 1000 ? Math.round(ms) + ' ms' : ms < 60000 ? (ms / 1000).toFixed(1) + ' s' : Math.floor(ms / 60000) + ' min ' + Math.round((ms % 60000) / 1000) + ' s'; }
  var MARKER = /\n?\[(?:\.\.\.|\u2026) [\d,]+ characters (?:omitted|not shown)[^\]\n]*\]\n?/g;

  /** Text with truncation markers highlighted. */
  function textInto(node, text) {
    var last = 0, m;
    MARKER.lastIndex = 0;
    while ((m = MARKER.exec(text))) {
      node.appendChild(document.createTextNode(text.slice(last, m.index) + '\n'));
      node.appendChild(el('span', 'marker', m[0].trim()));
      node.appendChild(document.createTextNode('\n'));
      last = m.index + m[0].length;
    }
    node.appendChild(document.createTextNode(text.slice(last)));
    return node;
  }

  var PY = /(#[^\n]*)|((?:[rbfuRBFU]{1,2})?(?:"""[\s\S]*?"""|'''[\s\S]*?'''|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'))|\b(def|class|return|if|elif|else|for|while|in|not|and|or|import|from|as|with|try|except|finally|raise|lambda|None|True|False|is|pass|break|continue|yield|global|nonlocal|assert|del)\b|\b(llm_query_batched|llm_query|FINAL_VAR|FINAL|SHOW_VARS|context|documents|print)\b|\b(\d+(?:\.\d+)?)\b/g;
  var CLASSES = [null, 'com', 'str', 'kw', 'fn', 'num'];
  /** Python with simple highlighting. */
  function codeBlock(code) {
    var pre = el('pre', 'code'), last = 0, m;
    PY.lastIndex = 0;
    while ((m = PY.exec(code))) {
      if (m.index > last) pre.appendChild(document.createTextNode(code.slice(last, m.index)));
      for (var g = 1; g < CLASSES.length; g++) if (m[g] !== undefined) { textInto(pre.appendChild(el('span', CLASSES[g])), m[0]); break; }
      last = m.index + m[0].length;
      if (m[0].length === 0) PY.lastIndex++;
    }
    pre.appendChild(document.createTextNode(code.slice(last)));
    return pre;
  }
  function outBlock(text, cls) { return textInto(el('pre', 'out' + (cls ? ' ' + cls : '')), text); }

  /** A header that opens a lazily built body. */
  function collapsible(cls, head, build, open) {
    var box = el('div', cls), h = el('div', 'head'), body = null;
    h.appendChild(el('span', 'caret', '\u25B6'));
    for (var i = 0; i < head.length; i++) h.appendChild(head[i]);
    box.appendChild(h);
    function toggle(show) {
      if (show && !body) { body = el('div', 'body'); build(body); box.appendChild(body); }
      if (body) body.hidden = !show;
      box.classList.toggle('open', show);
    }
    h.addEventListener('click', function () { toggle(!box.classList.contains('open')); });
    box.toggle = toggle;
    if (open) toggle(true);
    return box;
  }

  function docName(i) { var d = data.documents[i]; return d ? d.name : 'document ' + (i + 1); }

  function subCallBox(c, maxMs) {
    var lat = el('span', 'latbox'), bar = el('span', 'lat');
    bar.style.width = Math.max(2, Math.round(120 * c.durationMs / Math.max(1, maxMs))) + 'px';
    lat.appendChild(bar);
    var head = [el('span', 'mono', '#' + (c.n + 1)), el('span', c.error ? 'badge err' : 'badge ok', c.error ? 'error' : 'ok'),
      el('span', 'small', c.model + ' \u00B7 ' + fmt(c.promptChars) + ' \u2192 ' + fmt(c.responseChars) + ' chars \u00B7 ' + fmt(c.inputTokens) + '/' + fmt(c.outputTokens) + ' tok \u00B7 ' + dur(c.durationMs)),
      lat, el('span', 'pv', c.prompt.slice(0, 120))];
    return collapsible('call', head, function (body) {
      if (c.ranges.length) {
        body.appendChild(el('div', 'label', 'Drew from: ' + c.ranges.map(function (r) { return docName(r.doc) + ' chars ' + fmt(r.start) + '\u2013' + fmt(r.end); }).join('; ')));
      }
      if (c.promptCut || c.responseCut) {
        var cut = [];
        if (c.promptCut) cut.push('the prompt (' + fmt(c.promptChars) + ' characters)');
        if (c.responseCut) cut.push('the reply (' + fmt(c.responseChars) + ' characters)');
        body.appendChild(el('div', 'label', 'Only the first 200 characters of ' + cut.join(' and ') + ' were recorded by this run.'));
      }
      if (c.error) body.appendChild(el('div', 'error', 'Error: ' + c.error));
      if (c.truncated) body.appendChild(el('div', 'label', 'The reply was cut at the output-token limit.'));
      body.appendChild(el('div', 'label', 'Prompt'));
      body.appendChild(outBlock(c.prompt, 'prompt'));
      body.appendChild(el('div', 'label', 'Reply'));
      body.appendChild(outBlock(c.response, 'reply'));
    });
  }

  function unpack(a) {
    var ranges = [];
    for (var i = 0; i + 2 < a[11].length; i += 3) ranges.push({ doc: a[11][i], start: a[11][i + 1], end: a[11][i + 2] });
    return { n: a[0], model: a[1] === null ? data.config.subModelId : a[1], promptChars: a[2], responseChars: a[3], prompt: a[4], response: a[5],
      promptCut: (a[6] & 1) === 1, truncated: (a[6] & 2) === 2, responseCut: (a[6] & 4) === 4, inputTokens: a[7], outputTokens: a[8], durationMs: a[9], error: a[10], ranges: ranges };
  }

  function fillCalls(body, packed) {
    var calls = packed.map(unpack);
    var maxMs = 1, shown = 0;
    for (var i = 0; i < calls.length; i++) maxMs = Math.max(maxMs, calls[i].durationMs);
    function more() {
      var end = Math.min(calls.length, shown + PAGE);
      for (; shown < end; shown++) body.insertBefore(subCallBox(calls[shown], maxMs), btn);
      if (shown >= calls.length) btn.remove(); else btn.textContent = 'show ' + Math.min(PAGE, calls.length - shown) + ' more of ' + (calls.length - shown);
    }
    var btn = el('button', 'more', 'more');
    body.appendChild(btn);
    btn.addEventListener('click', more);
    more();
  }

  function cellBox(turn, cell, i) {
    var failed = cell.raised || cell.timedOut;
    var box = el('div', 'cell' + (failed ? ' failed' : cell.final !== undefined ? ' final' : ''));
    var title = el('div', 'label', 'Cell ' + (i + 1) + ' \u00B7 ' + dur(cell.durationMs) + (cell.sub.calls ? ' \u00B7 ' + fmt(cell.sub.calls) + ' sub-calls' : ''));
    box.appendChild(title);
    if (failed) box.appendChild(el('div', 'error', (cell.timedOut ? 'Timed out' : 'Raised ' + cell.errorType) + ' (the model saw this and could react)'));
    box.appendChild(codeBlock(cell.code));
    box.appendChild(el('div', 'label', 'Output as the model saw it'));
    box.appendChild(outBlock(cell.modelOutput, failed ? 'err' : ''));
    if (cell.outputsDiffer) {
      box.appendChild(collapsible('more', [el('span', 'label', 'Full output (' + fmt(cell.fullOutput.length) + ' chars' + (cell.fullOutputUri ? ', stored at ' + cell.fullOutputUri : '') + ')')], function (b) { b.appendChild(outBlock(cell.fullOutput, 'full')); }));
    }
    for (var n = 0; n < cell.notices.length; n++) box.appendChild(el('div', 'label', 'Sandbox: ' + cell.notices[n]));
    if (cell.capReached) box.appendChild(el('div', 'error', 'Cap reached: ' + cell.capReached));
    if (cell.final !== undefined) { box.appendChild(el('div', 'label', 'FINAL')); box.appendChild(el('div', 'answer', cell.final)); }
    if (cell.sub.calls) {
      var missing = cell.sub.calls - cell.sub.recorded;
      box.appendChild(el('div', 'label', 'Sub-calls: ' + fmt(cell.sub.calls) + ' (' + fmt(cell.sub.errors) + ' failed) \u00B7 ' + fmt(cell.sub.inputTokens) + ' in / ' + fmt(cell.sub.outputTokens) + ' out tokens' + (missing > 0 ? ' \u00B7 ' + fmt(missing) + ' not recorded individually' : '')));
      cell.batches.forEach(function (b) {
        var label = b.id ? 'llm_query_batched #' + b.id + ' \u00B7 ' + b.size + ' prompts' : 'sub-calls \u00B7 ' + b.calls.length + ' (no batch grouping recorded)';
        var errs = b.calls.filter(function (c) { return c[10] !== null; }).length;
        box.appendChild(collapsible('batch', [el('span', '', label), errs ? el('span', 'badge err', errs + ' failed') : el('span', '', '')], function (body) { fillCalls(body, b.calls); }, cell.batches.length === 1 && b.calls.length <= 20));
      });
    }
    return box;
  }

  function turnHead(t) {
    var what = t.kind === 'final_call' ? 'last call without tools' : t.kind === 'no_code' ? 'no code' : t.cells + ' cell' + (t.cells === 1 ? '' : 's');
    var bits = [el('b', '', 'Turn ' + t.index), el('span', '', what)];
    if (t.errors.length) bits.push(el('span', 'badge err', t.errors.join(', ')));
    if (t.stop) bits.push(el('span', 'badge ok', 'ended: ' + t.stop));
    bits.push(el('span', 'muted small', fmt(t.subCalls) + ' sub-calls \u00B7 root ' + fmt(t.rootTokens) + ' tok \u00B7 sub ' + fmt(t.subTokens) + ' tok \u00B7 ' + usd(t.costUsd) + ' \u00B7 ' + dur(t.durationMs)));
    return bits;
  }

  function turnBox(t, open) {
    var cls = 'turn' + (t.errors.length ? ' failed' : '') + (t.stop ? ' final' : '');
    var box = collapsible(cls, turnHead(t), function (body) {
      var wait = body.appendChild(el('div', 'muted', 'loading…'));
      turnData(t.index).then(function (d) { wait.remove(); fillTurn(body, t, d); }, function (e) { wait.textContent = 'cannot read this turn: ' + e; });
    }, open);
    box.id = 'turn-' + t.index;
    return box;
  }

  /** A turn's body data: plain JSON, or base64 gzip inflated with the browser's DecompressionStream. */
  function turnData(index) {
    var node = document.getElementById('turn-data-' + index);
    if (node.getAttribute('data-encoding') !== 'gzip-base64') return Promise.resolve(JSON.parse(node.textContent));
    var bin = atob(node.textContent.trim()), bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Response(stream).text().then(JSON.parse);
  }

  function fillTurn(body, t, d) {
      for (var k in d) t[k] = d[k];
      body.appendChild(el('div', 'label', 'Root model (' + dur(t.rootLatencyMs) + ')'));
      body.appendChild(textInto(el('div', 'prose'), t.replyText || '(no prose)'));
      t.cellsView.forEach(function (c, i) { body.appendChild(cellBox(t, c, i)); });
      if (t.feedback) { body.appendChild(el('div', 'label', 'Engine feedback')); body.appendChild(outBlock(t.feedback)); }
      if (t.answer !== undefined) { body.appendChild(el('div', 'label', 'Answer' + (t.detail ? ' (' + t.detail + ')' : ''))); body.appendChild(el('div', 'answer', t.answer === null ? '(none)' : t.answer)); }
      body.setAttribute('data-filled', '1');
  }

  var timeline = document.getElementById('timeline');
  var boxes = [];
  var failed = data.overview.status === 'failed';
  data.turns.forEach(function (t, i) { var b = turnBox(t, failed && i === data.turns.length - 1); boxes.push(b); timeline.appendChild(b); });
  if (!data.turns.length) timeline.appendChild(el('p', 'muted', 'No turns were recorded.'));
  document.getElementById('expand-all').addEventListener('click', function () { boxes.forEach(function (b) { b.toggle(true); }); });
  document.getElementById('collapse-all').addEventListener('click', function () { boxes.forEach(function (b) { b.toggle(false); }); });
  document.body.setAttribute('data-rendered', String(data.turns.length));
  document.body.setAttribute('data-render-ms', String(Math.round(performance.now())));
  document.body.setAttribute('data-script-ms', String(Math.round(performance.now() - scriptStart)));
})();
`;
