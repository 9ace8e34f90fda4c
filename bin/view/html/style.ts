/** The pages' stylesheet (inlined: the pages load nothing). */
export const PAGE_CSS = `
:root{--fg:#1d2330;--muted:#5b6577;--bg:#fff;--panel:#f5f7fa;--line:#dde2ea;--ok:#1b7f4a;--bad:#b42318;--warn:#a15c00;--root:#4a6fd8;--sub:#e59a3c;--cost:#2a9d8f;--code:#0f1524}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:1100px;margin:0 auto;padding:20px 24px 60px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
.muted{color:var(--muted)}.mono,pre,code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;background:var(--panel);border:1px solid var(--line)}
.badge.succeeded,.badge.ok{color:var(--ok);border-color:#9fd3b5;background:#eefaf3}.badge.failed,.badge.err{color:var(--bad);border-color:#f0b4ae;background:#fdf0ef}
.badge.running,.badge.warn{color:var(--warn);border-color:#f1cf98;background:#fff7e9}
.question{font-size:15px;margin:10px 0}.answer{background:#eefaf3;border:1px solid #9fd3b5;border-radius:6px;padding:10px 12px;white-space:pre-wrap;overflow-wrap:anywhere}
.failure{background:#fdf0ef;border:1px solid #f0b4ae;border-radius:6px;padding:10px 12px;margin:10px 0}
.cards{display:flex;flex-wrap:wrap;gap:8px;margin:14px 0}.card{background:var(--panel);border:1px solid var(--line);border-radius:6px;padding:6px 12px;min-width:110px}
.card b{display:block;font-size:17px}.card span{color:var(--muted);font-size:12px}
.chart{display:inline-block;margin:4px 0}.chart text{font-size:10px;fill:var(--muted)}.chart .title{font-size:12px;fill:var(--fg);font-weight:600}
.chart .root,.legend .root{fill:var(--root)}.chart .sub,.legend .sub{fill:var(--sub)}.chart .failed .root{fill:var(--bad)}
.chart polyline.cost{fill:none;stroke:var(--cost);stroke-width:2}.legend line.cost{stroke:var(--cost);stroke-width:2}.chart .grid{stroke:var(--line)}
.chart .hist{fill:var(--root)}.chart .success{fill:#7aa6e8}.chart .accuracy{fill:var(--ok)}
.strip rect{fill:var(--sub)}.strip rect.track{fill:var(--panel);stroke:var(--line)}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid var(--line);vertical-align:top}th{font-size:12px;color:var(--muted);font-weight:600}
td.mono{white-space:nowrap}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.turn{border:1px solid var(--line);border-radius:6px;margin:6px 0;background:var(--bg)}
.turn>.head,.batch>.head,.call>.head,.more>.head{cursor:pointer;padding:6px 10px;display:flex;gap:10px;align-items:center;user-select:none}
.turn>.head:hover,.batch>.head:hover,.call>.head:hover{background:var(--panel)}
.head .caret{width:12px;color:var(--muted)}.open>.head .caret{transform:rotate(90deg)}
.turn.failed{border-color:#f0b4ae}.turn.final{border-color:#9fd3b5}
.body{padding:4px 12px 12px;border-top:1px solid var(--line)}
.prose{white-space:pre-wrap;overflow-wrap:anywhere;background:var(--panel);border-radius:4px;padding:8px 10px}
pre{margin:4px 0;padding:8px 10px;border-radius:4px;overflow:auto;max-height:480px;white-space:pre-wrap;overflow-wrap:anywhere}
pre.code{background:var(--code);color:#e6e9ef}pre.out{background:#f8f8f6;border:1px solid var(--line)}pre.out.err{border-color:#f0b4ae;background:#fffafa}
.code .kw{color:#c792ea}.code .str{color:#c3e88d}.code .com{color:#7f8aa3;font-style:italic}.code .num{color:#f78c6c}.code .fn{color:#82aaff;font-weight:600}
.marker{background:#fff2b3;color:#6b5200;border-radius:3px}
.cell{margin:10px 0 4px;padding-left:10px;border-left:3px solid var(--line)}.cell.failed{border-left-color:var(--bad)}.cell.final{border-left-color:var(--ok)}
.label{font-size:12px;color:var(--muted);margin-top:8px}.error{color:var(--bad);font-weight:600}
.batch{border:1px solid var(--line);border-radius:4px;margin:6px 0}.call{border-top:1px solid var(--line)}
.lat{display:inline-block;height:8px;background:var(--sub);border-radius:2px;vertical-align:middle}.latbox{width:120px;display:inline-block}
.call .body{background:#fcfcfd}.call .head .pv{flex:1;overflow:hidden;white-space:nowrap;text-overflow:ellipsis;color:var(--muted)}
.kv td:first-child{width:200px;color:var(--muted)}.small{font-size:12px}a{color:var(--root)}
.filters{margin:6px 0}.filters button{margin-right:6px}
`;
