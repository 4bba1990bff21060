// The booking pages' one stylesheet: system fonts only (no web font requests), fluid from 320 px.
export const PAGE_CSS = `*,*::before,*::after{box-sizing:border-box}
html,body{margin:0;background:#fff}
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#1d2330}
.app{max-width:40rem;margin:0 auto;padding:1rem}
.embedded .app{margin:0;padding:.5rem}
.head h1{font-size:1.35rem;margin:0;line-height:1.25;overflow-wrap:anywhere}
.sub,.hint{color:#4a5265;margin:.15rem 0 0;font-size:.9rem}
h2{font-size:1.05rem;margin:1.25rem 0 .5rem}
h2:focus{outline:none}
.tz{margin:1rem 0 .25rem}
label{display:block;font-weight:600;font-size:.9rem;margin-bottom:.25rem}
.opt{font-weight:400;color:#4a5265}
select,input,textarea{font:inherit;color:inherit;width:100%;max-width:100%;padding:.5rem .6rem;border:1px solid #8a93a6;border-radius:8px;background:#fff}
textarea{resize:vertical}
button{font:inherit;cursor:pointer;border-radius:8px}
:focus-visible{outline:3px solid #1a56db;outline-offset:2px}
.status{color:#4a5265;font-size:.9rem;margin:.75rem 0}
.status:empty{display:none}
.alert{background:#fdecec;color:#8a1c1c;border:1px solid #f3b7b7;border-radius:8px;padding:.6rem .75rem;margin:.75rem 0}
.days{display:grid;grid-template-columns:repeat(auto-fill,minmax(4.6rem,1fr));gap:.4rem}
.times{display:grid;grid-template-columns:repeat(auto-fill,minmax(5.6rem,1fr));gap:.4rem}
.day,.slot{border:1px solid #b9c0cf;background:#fff;color:#1d2330;padding:.45rem .3rem;text-align:center;line-height:1.2;min-height:2.75rem}
.day span,.day small{display:block;white-space:nowrap}
.day small{color:#4a5265;font-size:.75rem}
.day[aria-pressed="true"],.slot[aria-pressed="true"]{background:#1a56db;border-color:#1a56db;color:#fff}
.day[aria-pressed="true"] small{color:#e6edff}
.day:disabled{color:#9aa1b0;background:#f3f4f7;border-color:#e2e5eb;cursor:not-allowed}
.day:not(:disabled):hover,.slot:hover{border-color:#1a56db}
.form .field{margin:.75rem 0}
.error{color:#b42318;font-size:.875rem;margin:.25rem 0 0}
[aria-invalid="true"]{border-color:#b42318;border-width:2px}
.chosen{background:#eef3ff;border-radius:8px;padding:.6rem .75rem;margin:.5rem 0}
.primary,.danger{border:0;color:#fff;padding:.7rem 1.2rem;font-weight:600;width:100%;margin-top:.5rem}
.primary{background:#1a56db}
.danger{background:#b42318}
.primary:disabled,.danger:disabled{opacity:.6;cursor:progress}
.link{border:0;background:none;color:#1a56db;text-decoration:underline;padding:.2rem;font-size:.9rem}
a{color:#1a56db}
.when{font-size:1.1rem;font-weight:600}
.facts{display:grid;grid-template-columns:auto 1fr;gap:.35rem 1rem;margin:1rem 0}
.facts dt{font-weight:600;color:#4a5265}
.facts dd{margin:0;overflow-wrap:anywhere}
.hp{position:absolute;left:-10000px;top:auto;width:1px;height:1px;overflow:hidden}
[hidden]{display:none!important}
@media (min-width:34rem){.primary,.danger{width:auto}}
`;
