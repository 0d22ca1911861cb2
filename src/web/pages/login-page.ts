// The login page: user name and password, sent by the island to POST /api/login (no CSRF token
// yet: there is no session). The form posts (never GETs) so a password never lands in a URL.
import { html } from 'hono/html';
import type { WebAssets } from '../assets/assets.ts';
import { type Html, layout } from './layout.ts';

export function loginPage(assets: WebAssets, next: string): Html {
  return layout(
    { title: 'Log in', assets },
    html`<div class="login card">
<h1>Log in</h1>
<form class="stack" data-api="/api/login" data-no-csrf data-next="${next}" method="post" action="/api/login">
<label for="user">User name<input id="user" name="user" autocomplete="username" autocapitalize="none" spellcheck="false" required></label>
<label for="password">Password<input id="password" name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">Log in</button>
<output for="user password"></output>
</form>
</div>`,
  );
}
