// The page shell every dashboard page shares: head (stylesheet and script island by hashed URL),
// a skip link, the header with navigation and the user, and the main landmark. Every value goes
// through hono/html's escaping.
import { html } from 'hono/html';
import type { WebAssets } from '../assets/assets.ts';
import type { MeView } from '../view-types.ts';

export type Html = ReturnType<typeof html>;

export type Section = 'fleet' | 'jobs' | 'backups' | 'schedules' | 'certs' | 'locks' | 'alerts' | 'webhooks' | 'audit';

export interface LayoutProps {
  title: string;
  assets: WebAssets;
  /** The logged-in user; absent on the login page. */
  me?: MeView;
  current?: Section;
}

const NAV: { section: Section; href: string; label: string; adminOnly?: boolean }[] = [
  { section: 'fleet', href: '/', label: 'Fleet' },
  { section: 'jobs', href: '/jobs', label: 'Jobs' },
  { section: 'backups', href: '/backups', label: 'Backups' },
  { section: 'schedules', href: '/schedules', label: 'Schedules' },
  { section: 'certs', href: '/certs', label: 'Certificates' },
  { section: 'locks', href: '/locks', label: 'Locks' },
  { section: 'alerts', href: '/alerts', label: 'Alerts' },
  { section: 'webhooks', href: '/webhooks', label: 'Webhooks' },
  { section: 'audit', href: '/audit', label: 'Audit log', adminOnly: true },
];

export function layout(props: LayoutProps, content: Html): Html {
  const { me, current, assets } = props;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${props.title} · Slipway</title>
<link rel="stylesheet" href="${assets.css.path}">
<script src="${assets.js.path}" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header>
<a class="brand" href="/">Slipway</a>
${
  me
    ? html`<nav aria-label="Main"><ul>${NAV.filter((n) => !n.adminOnly || me.role === 'admin').map(
        (n) => html`<li><a href="${n.href}"${n.section === current ? html` aria-current="page"` : ''}>${n.label}</a></li>`,
      )}</ul></nav>
<div class="who"><span>${me.name} <span class="tag">${me.role}</span></span>
<form data-api="/api/logout" data-next="/login" method="post" action="/api/logout"><button class="secondary" type="submit">Log out</button><output></output></form></div>`
    : ''
}
</header>
<main id="main" tabindex="-1">
${content}
</main>
</body>
</html>`;
}

/** A page that only says what went wrong (an API refusal or failure), with its hint. */
export function messagePage(props: LayoutProps, error: string, hint: string): Html {
  return layout(props, html`<h1>${props.title}</h1><p class="bad">${error}</p><p class="muted">${hint}</p>`);
}
