// The dashboard's one stylesheet, served as /assets/app.HASH.css (assets.ts). Kept as a string so
// the CLI bundle carries it without a loader. One column under 640px; visible focus everywhere;
// light and dark from the system setting. No inline styles anywhere (the CSP forbids them).
export const APP_CSS = `:root{--bg:#f7f7f5;--fg:#1c1c1a;--muted:#5d5d58;--card:#fff;--line:#d9d9d3;--accent:#1f5fbf;--ok:#1d7a3a;--warn:#8a5a00;--bad:#b3261e;--focus:#f0a500;color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--bg:#161615;--fg:#ececea;--muted:#a5a5a0;--card:#20201e;--line:#3a3a36;--accent:#8ab4ff;--ok:#6fd38d;--warn:#f0c060;--bad:#ff8a80}}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;background:var(--bg);color:var(--fg)}
a{color:var(--accent)}
:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
.skip{position:absolute;left:-999px;top:0;background:var(--card);padding:.5rem 1rem;z-index:1}
.skip:focus{left:.5rem}
header{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;align-items:center;padding:.75rem 1rem;background:var(--card);border-bottom:1px solid var(--line)}
header .brand{font-weight:700;text-decoration:none;color:var(--fg)}
nav ul{display:flex;flex-wrap:wrap;gap:.25rem .5rem;list-style:none;margin:0;padding:0}
nav a{display:inline-block;padding:.4rem .3rem}
nav a[aria-current]{font-weight:700;text-decoration:none}
.who{margin-left:auto;display:flex;gap:.5rem;align-items:center;color:var(--muted)}
main{max-width:72rem;margin:0 auto;padding:1rem}
h1{font-size:1.5rem;margin:.5rem 0 1rem}
h2{font-size:1.2rem;margin:1.5rem 0 .5rem}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(16rem,1fr));gap:1rem}
.grid>*,.stack>*{min-width:0}
.card{background:var(--card);border:1px solid var(--line);border-radius:.5rem;padding:1rem}
.card h2,.card h3{margin-top:0}
.scroll{overflow-x:auto;background:var(--card);border:1px solid var(--line);border-radius:.5rem}
table{border-collapse:collapse;width:100%;font-size:.95rem}
caption{text-align:left;padding:.5rem .75rem;font-weight:600}
th,td{text-align:left;padding:.45rem .75rem;border-top:1px solid var(--line);vertical-align:top}
th{font-weight:600;color:var(--muted)}
meter{width:6rem;vertical-align:middle}
.tag{display:inline-block;padding:0 .4rem;border-radius:.25rem;border:1px solid currentColor;font-size:.85em}
.ok,.healthy,.running{color:var(--ok)}
.warn,.starting,.partial{color:var(--warn)}
.bad,.unhealthy,.failed,.refused{color:var(--bad)}
.muted{color:var(--muted)}
form{margin:0}
.stack{display:grid;gap:.6rem}
.row{display:flex;flex-wrap:wrap;gap:.5rem;align-items:end}
label{display:grid;gap:.2rem;font-weight:600}
input,select{font:inherit;font-weight:400;min-height:2.5rem;padding:.45rem .6rem;border:1px solid var(--line);border-radius:.35rem;background:var(--bg);color:var(--fg);min-width:0}
button{font:inherit;padding:.45rem .9rem;border-radius:.35rem;border:1px solid var(--accent);background:var(--accent);color:var(--card);cursor:pointer;min-height:2.5rem}
button.secondary{background:transparent;color:var(--accent)}
button.danger{border-color:var(--bad);background:transparent;color:var(--bad)}
button[disabled]{opacity:.6;cursor:progress}
code{font:.9em/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;overflow-wrap:anywhere}
.notice{background:var(--card);border:1px solid var(--line);border-left:4px solid var(--accent);border-radius:.35rem;padding:.6rem .8rem;margin:.5rem 0 1rem}
.notice.bad{border-left-color:var(--bad)}
.notice.ok{border-left-color:var(--ok)}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:0 0 .75rem}
.facts dt{color:var(--muted)}
.facts dd{margin:0}
ul.plain,ul.changes,ul.commits{list-style:none;margin:0;padding:0}
ul.commits{padding-left:1rem;font-size:.9em}
form.inline{display:grid;gap:.3rem}
ol.steps,ol.log{font:.85rem/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:var(--bg);border:1px solid var(--line);border-radius:.35rem;margin:.25rem 0 0;padding:.5rem .75rem .5rem 2.25rem;max-height:22rem;overflow:auto;white-space:pre-wrap;overflow-wrap:anywhere}
ol.log{list-style:none;padding-left:.75rem;min-height:6rem}
ol.steps:empty,ol.log:empty{display:none}
li.info{color:var(--muted);font-style:italic}
li.stderr{color:var(--bad)}
output{display:block;min-height:1.5em;color:var(--muted)}
output.error{color:var(--bad)}
.who output{min-height:0}
.login{max-width:22rem;margin:10vh auto}
@media (max-width:640px){header{padding:.5rem}nav{width:100%}nav ul{flex-wrap:nowrap;overflow-x:auto}nav a{white-space:nowrap;padding:.5rem .4rem}.who{margin-left:0}.grid{grid-template-columns:1fr}main{padding:.5rem}th,td{padding:.4rem}button,input,select{width:100%}.row>label{flex:1 1 100%}.who button{width:auto}}
`;
