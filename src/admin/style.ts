// The console's only stylesheet, sent inline under a per-response CSP nonce (no external assets).
export const CONSOLE_CSS = `
*,*::before,*::after{box-sizing:border-box}
:root{--ink:#1c2430;--muted:#5b6675;--line:#d7dde5;--bg:#f6f8fa;--accent:#0b5cad;--bad:#b3261e;--ok:#1e6b35;
  font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:var(--bg)}
body{margin:0}
a{color:var(--accent)}
/* Focus rings: at least 3:1 against what surrounds them (6.3:1 on the light backgrounds, 10.8:1 on the top bar). */
:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.top :focus-visible{outline-color:#ffd166}
.skip{position:absolute;left:-999px;top:0;background:#fff;padding:.5rem 1rem;z-index:2}
.skip:focus{left:.5rem}
.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
.top{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;padding:.6rem 1rem;background:var(--ink);color:#fff}
.top a{color:#fff;font-weight:600;text-decoration:none}
.top .who{margin-left:auto;font-size:.9rem;opacity:.85}
.top form{margin:0}
.layout{display:grid;grid-template-columns:14rem minmax(0,1fr);min-height:calc(100vh - 3rem)}
.side{background:#fff;border-right:1px solid var(--line);padding:1rem .5rem}
.side ul{list-style:none;margin:0;padding:0}
.side a{display:block;padding:.35rem .6rem;border-radius:4px;text-decoration:none}
.side a[aria-current=page]{background:var(--accent);color:#fff}
main{padding:1rem 1.25rem;min-width:0}
main:focus{outline:none}
h1{font-size:1.4rem;margin:.2rem 0 1rem}
h2{font-size:1.1rem;margin:1.5rem 0 .5rem}
button,.button{font:inherit;padding:.4rem .9rem;border-radius:4px;border:1px solid var(--accent);background:var(--accent);color:#fff;cursor:pointer;text-decoration:none;display:inline-block}
button.quiet{background:transparent;color:inherit;border-color:currentColor}
button.danger{background:var(--bad);border-color:var(--bad)}
input,select,textarea{font:inherit;padding:.35rem .5rem;border:1px solid #9aa5b1;border-radius:4px;background:#fff;max-width:100%}
label{font-weight:600;display:block;margin-bottom:.2rem}
.filters{display:flex;flex-wrap:wrap;gap:.75rem;align-items:flex-end;background:#fff;border:1px solid var(--line);border-radius:6px;padding:.75rem;margin-bottom:1rem}
.filters .field{margin:0}
.field{margin:0 0 .9rem}
.hint{color:var(--muted);font-size:.85rem;margin:.2rem 0 0}
.error{color:var(--bad);font-size:.9rem;margin:.2rem 0 0;font-weight:600}
[aria-invalid=true]{border-color:var(--bad)}
.alert{border-left:4px solid var(--bad);background:#fdecea;padding:.6rem .8rem}
.ok{border-left:4px solid var(--ok);background:#e7f4ea;padding:.6rem .8rem}
.scroll{overflow-x:auto;max-width:100%;background:#fff;border:1px solid var(--line);border-radius:6px}
table{border-collapse:collapse;width:100%;font-size:.92rem}
th,td{text-align:left;padding:.45rem .6rem;border-bottom:1px solid var(--line);vertical-align:top}
th a{text-decoration:none;color:inherit}
th[aria-sort] a::after{content:" ▲"}
th[aria-sort=descending] a::after{content:" ▼"}
time{white-space:nowrap}
.local{color:var(--muted);font-size:.85rem}
.none{color:var(--muted)}
.sub{display:block;color:var(--muted);font-size:.85rem;overflow-wrap:anywhere}
.badge{display:inline-block;padding:.05rem .5rem;border-radius:999px;font-size:.85rem;font-weight:600;white-space:nowrap;border:1px solid currentColor}
.badge.ok{color:#1e6b35;background:#e7f4ea}
.badge.wait{color:#7a4500;background:#fff1cc}
.badge.bad{color:#b3261e;background:#fdecea}
.badge.plain{color:#37414f;background:#e8ecf1}
ul.changes,ul.list{margin:0;padding-left:1.1rem}
ul.changes{list-style:none;padding:0}
dl.pairs{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:.1rem .75rem;margin:0}
dl.pairs dt{font-weight:600}
dl.pairs dd{margin:0;overflow-wrap:anywhere}
.attention{list-style:none;padding:0;display:grid;grid-template-columns:repeat(auto-fill,minmax(15rem,1fr));gap:.75rem}
.attention a{display:block;background:#fff;border:1px solid var(--line);border-left:4px solid var(--line);border-radius:6px;padding:.7rem .8rem;text-decoration:none}
.attention .due a{border-left-color:var(--bad)}
.attention strong{font-size:1.2rem}
.choices{background:#fff;border:1px solid var(--line);border-radius:6px;padding:.75rem 1rem .75rem 2rem}
.choices li{margin:.35rem 0}
.pager{display:flex;gap:1rem;align-items:center;margin:.75rem 0}
dl.record{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:.3rem 1rem;background:#fff;border:1px solid var(--line);border-radius:6px;padding:.75rem;margin:0}
dl.record dt{font-weight:600}
dl.record dd{margin:0;overflow-wrap:anywhere}
pre{white-space:pre-wrap;overflow-wrap:anywhere;margin:0;font-size:.85rem}
.panel{background:#fff;border:1px solid var(--line);border-radius:6px;padding:.9rem;margin:1rem 0}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(12rem,1fr));gap:.75rem;list-style:none;padding:0}
.cards a{display:block;background:#fff;border:1px solid var(--line);border-radius:6px;padding:.8rem;text-decoration:none}
.cards span{display:block;color:var(--muted);font-size:.9rem}
.login{max-width:24rem;margin:4rem auto;background:#fff;border:1px solid var(--line);border-radius:8px;padding:1.5rem}
.login input{width:100%}
.qr{margin:1rem 0;text-align:center}.qr svg{display:block;width:min(14rem,100%);height:auto;margin:0 auto}.qr figcaption{font-size:.85rem;color:var(--muted)}
.edit input,.edit textarea{width:min(32rem,100%)}
.actions{display:flex;flex-wrap:wrap;gap:.75rem}
.actions form{margin:0}
@media (max-width:48rem){
  .layout{grid-template-columns:1fr}
  .side{border-right:0;border-bottom:1px solid var(--line);padding:.5rem}
  .side ul{display:flex;flex-wrap:wrap;gap:.25rem}
  main{padding:.75rem}
  dl.record{grid-template-columns:1fr}
  dl.record dd{margin-bottom:.4rem}
}
`;
